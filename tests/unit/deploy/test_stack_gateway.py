"""`make stack`'s gateway serves the web UI from a checkout only its owner may read (``/root``, a private
temporary directory): started as root, nginx's workers run as the web root's owner instead of ``nobody``."""

from __future__ import annotations

import importlib
import os
import pwd
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


@pytest.fixture
def stack() -> Iterator[ModuleType]:
    sys.path.insert(0, str(DEPLOY))
    try:
        yield importlib.import_module("stack")
    finally:
        sys.path.remove(str(DEPLOY))


def test_workers_run_as_the_web_roots_owner_when_started_as_root(
    stack: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text("worker_processes 2;\n")
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    stack.as_reader_of(config, tmp_path)
    owner = pwd.getpwuid(tmp_path.stat().st_uid).pw_name
    assert config.read_text() == f"user {owner};\nworker_processes 2;\n"


def test_the_configuration_is_left_alone_for_any_other_user(
    stack: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "nginx.conf"
    config.write_text("worker_processes 2;\n")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # nginx cannot switch users then, and needs not
    stack.as_reader_of(config, tmp_path)
    assert config.read_text() == "worker_processes 2;\n"
