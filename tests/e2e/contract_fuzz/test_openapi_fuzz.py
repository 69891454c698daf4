"""Schemathesis against both APIs' OpenAPI documents, with a real token and without one.

Every generated request, valid (positive) or not (negative), must get an answer the document describes: no 5xx,
a documented status, a body matching the documented schema, the documented content type and headers. Each
operation is fuzzed on its own, and every failing operation is reported, not just the first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from .conftest import Stack, bearer

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
    database=None,
)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
ADMIN = bearer("fuzz-admin", "admin")
ANONYMOUS: dict[str, str] = {}
# A body over the limit is refused with 413: a rejection as good as 422. A read-your-writes wait runs before the
# route's own parameters are validated, so an invalid request asking for a position far ahead gets 503
# `projection_behind` first (``no_server_error`` admits no other 503).
REFUSALS = [400, 401, 403, 404, 405, 409, 413, 422, 503]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis's own for schema-valid requests
# Security parameters are the test's to send (``headers``: a token, or none): schemathesis must not drop or forge
# the Authorization header of a documented bearer scheme and then call the answer to the token sent a failure.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
        "generation": {"with-security-parameters": False},
        # A business-hours calendar's start must come before its end: a rule between two fields, which a JSON Schema
        # cannot state, so a schema-valid calendar may still be refused (422 naming `calendar`).
        "operations": [
            {
                "include-path": "/api/sla/policy",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            }
        ],
    }
)


def no_server_error(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any) -> None:
    """No 5xx, but for the read-your-writes answer to a position not projected yet (a generated one, mostly far
    ahead of the store): that 503 is the contract, and it must tell when to retry."""
    body = response.json() if response.headers.get("content-type", [""])[0] == "application/json" else {}
    behind = response.status_code == 503 and isinstance(body, dict) and body.get("code") == "projection_behind"
    if response.status_code >= 500 and not (behind and "retry-after" in response.headers):
        raise AssertionError(f"{response.status_code} from {case.operation.label}: {response.text[:500]}")


def send(case: Any, mode: schemathesis.GenerationMode, headers: Mapping[str, str]) -> None:
    sent = dict(headers)
    if mode.is_positive and "Idempotency-Key" in (case.headers or {}):
        # A valid key sent again with another body is refused (422), as it must be: each case its own.
        sent["Idempotency-Key"] = uuid.uuid4().hex
    if mode.is_positive and case.query:
        # A cursor is opaque: only one the API returned is valid, whatever the document can say.
        case.query.pop("cursor", None)
    case.call_and_validate(
        headers=sent, timeout=10, excluded_checks=[not_a_server_error], additional_checks=[no_server_error]
    )


def sender(mode: schemathesis.GenerationMode, headers: Mapping[str, str]) -> Callable[[Any], None]:
    def run(case: Any) -> None:
        send(case, mode, headers)

    return run


def fuzz(schema: schemathesis.BaseSchema, headers: Mapping[str, str]) -> None:
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        for mode in MODES:
            strategy = operation.as_strategy(generation_mode=mode)
            run = EXAMPLES(given(case=strategy)(sender(mode, headers)))
            try:
                run()
            except Unsatisfiable:
                continue  # nothing to make invalid: an operation without parameters or body
            except Exception as exc:  # every operation is fuzzed; the failures are reported together
                failures.append(f"{operation.label} ({mode.value}):\n{str(exc)[:3000]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("headers", [ADMIN, ANONYMOUS], ids=["token", "no-token"])
def test_the_command_api_answers_as_documented(fuzz_stack: Stack, headers: Mapping[str, str]) -> None:
    fuzz(schemathesis.openapi.from_url(f"{fuzz_stack.command}/openapi.json", config=CONFIG), headers)


@pytest.mark.parametrize("headers", [ADMIN, ANONYMOUS], ids=["token", "no-token"])
def test_the_query_api_answers_as_documented(fuzz_stack: Stack, headers: Mapping[str, str]) -> None:
    # The live stream never ends, so its answer cannot be read whole (its own tests cover it).
    schema = schemathesis.openapi.from_url(f"{fuzz_stack.query}/openapi.json", config=CONFIG).exclude(
        path="/api/stream"
    )
    fuzz(schema, headers)
