"""Checks the import rules of docs/architecture.md against the code: ``python tools/layers.py`` (exit 1 on a breach).

Reads every ``import`` of the packages' sources and of the tests (no code is run) and reports each import of one of
our packages that the part doing it may not make.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each package may import of ours besides itself. A name ending in ":root" allows that package's top level
# only (``from ticket_command import install``), none of its modules.
MAY_IMPORT: dict[str, set[str]] = {
    "ticket_workflow": set(),
    "ticket_migrations": set(),
    "ticket_eventstore": {"ticket_workflow", "ticket_migrations"},
    "ticket_readmodel": {"ticket_workflow", "ticket_migrations"},
    "ticket_privacy": {"ticket_workflow", "ticket_migrations"},
    "ticket_service": {"ticket_workflow"},
    "ticket_command": {"ticket_workflow", "ticket_eventstore", "ticket_service", "ticket_privacy"},
    "ticket_projector": {
        "ticket_workflow",
        "ticket_eventstore",
        "ticket_readmodel",
        "ticket_service",
        "ticket_privacy",
    },
    "ticket_query": {"ticket_workflow", "ticket_eventstore", "ticket_readmodel", "ticket_service"},
    "ticket_webhooks": {
        "ticket_workflow",
        "ticket_migrations",
        "ticket_eventstore",
        "ticket_service",
        "ticket_privacy",
    },
    "ticket_embedded": {
        "ticket_workflow",
        "ticket_eventstore",
        "ticket_readmodel",
        "ticket_migrations",
        "ticket_service",
        "ticket_privacy",
        "ticket_command:root",
        "ticket_projector:root",
        "ticket_query:root",
        "ticket_webhooks:root",
    },
}
TEST_LAYERS = ("unit", "contract", "integration", "e2e")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in ``path``, including those inside functions."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def package_breaches() -> Iterator[str]:
    for src in sorted(ROOT.glob("*/*/src/ticket_*")):
        own = src.name
        allowed = MAY_IMPORT.get(own)
        if allowed is None:
            yield f"{src.relative_to(ROOT)}: a package docs/architecture.md does not place"
            continue
        for path in sorted(src.rglob("*.py")):
            for line, module in imports(path):
                top = module.split(".")[0]
                if not top.startswith("ticket_") or top == own or top in allowed:
                    continue
                if f"{top}:root" in allowed and module == top:
                    continue
                yield f"{path.relative_to(ROOT)}:{line}: {own} may not import {module}"


def test_breaches() -> Iterator[str]:
    """A test layer imports ``tests.support``, the shared ``tests.conftest`` and its own layer, no other layer."""
    for layer in TEST_LAYERS:
        for path in sorted((ROOT / "tests" / layer).rglob("*.py")):
            for line, module in imports(path):
                parts = module.split(".")
                if parts[0] == "tests" and len(parts) > 1 and parts[1] in TEST_LAYERS and parts[1] != layer:
                    yield f"{path.relative_to(ROOT)}:{line}: a {layer} test may not import {module}"


def main() -> int:
    breaches = [*package_breaches(), *test_breaches()]
    for breach in breaches:
        print(breach)
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
