"""The OpenAPI document as the services really behave, where FastAPI's own would say otherwise.

- An optional parameter is declared by FastAPI as "a string or null"; no HTTP parameter can be null (absent is how
  a client says none), and a client sending the text ``null`` is refused. The null branch is dropped.
- Parameters carry the rules :mod:`ticket_service.hygiene` enforces on every request: no NUL or unpaired
  surrogate in a path or query parameter, printable ASCII in the headers it reads.
- Every operation can answer 422 (text no store can keep in the path, the query or a header; see
  :mod:`ticket_service.hygiene`) and 500 (a bug), both in the shared error shape: both are documented everywhere.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ticket_workflow.data import SAFE_TEXT_PATTERN

from .errors import ErrorBody, documented
from .hygiene import READ_HEADERS

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PRINTABLE_ASCII_PATTERN = r"^[\x20-\x7e]*$"


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = corrected(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    always = {str(status): _with_ref(entry) for status, entry in documented(422, 500).items()}
    for path in document.get("paths", {}).values():
        for method, operation in path.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _with_rule(parameter, _not_null(parameter.get("schema", {})))
            responses = operation.setdefault("responses", {})
            for status, entry in always.items():
                responses.setdefault(status, entry)
    return document


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = schema.get("anyOf")
    if not isinstance(branches, list):
        return schema
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(branches):
        return schema
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**kept[0], **rest}


def _with_rule(parameter: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") != "string" or "pattern" in schema or "enum" in schema:
        return schema
    if parameter.get("in") in ("path", "query"):
        return {**schema, "pattern": SAFE_TEXT_PATTERN}
    if parameter.get("in") == "header" and str(parameter.get("name", "")).lower().encode() in READ_HEADERS:
        return {**schema, "pattern": PRINTABLE_ASCII_PATTERN}
    return schema


def _with_ref(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": entry["description"],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
