"""Print the third-party requirements of every pyproject.toml under the given folders, one per line.

The image build installs these (pinned by constraints.txt) in a layer of their own, so that a change to the
project's sources does not download the dependencies again. The project's own packages are left out.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(folders: list[Path]) -> list[str]:
    projects = [tomllib.loads(p.read_text())["project"] for f in folders for p in sorted(f.glob("*/pyproject.toml"))]
    own = {_normalise(project["name"]) for project in projects}
    found: set[str] = set()
    for project in projects:
        for requirement in project.get("dependencies", []):
            match = NAME.match(requirement)
            if match and _normalise(match.group(1)) not in own:
                found.add(requirement.strip())
    return sorted(found)


if __name__ == "__main__":
    print("\n".join(requirements([Path(arg) for arg in sys.argv[1:]])))
