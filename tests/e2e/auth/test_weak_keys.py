"""Every server refuses to start on a placeholder or short JWT_SECRET, or on a public key without issuer and
audience: exit status 2 and a message saying what to set, as for a missing key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SERVERS = {
    "command-api": [str(BIN / "ticket-command-api"), "serve"],
    "query-api": [str(BIN / "ticket-query-api"), "serve"],
    "embedded": [sys.executable, "-m", "ticket_embedded"],
}
KEYS = {
    "compose placeholder": {"JWT_SECRET": "change-me"},
    "kubernetes placeholder": {"JWT_SECRET": "REPLACE-ME-with-openssl-rand-hex-32"},
    "short": {"JWT_SECRET": "0123456789abcdef0123456789abcde"},
    "public key alone": {"JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----"},
    "jwks without audience": {"JWT_JWKS_URL": "http://127.0.0.1:9/jwks.json", "JWT_ISSUER": "https://id.example"},
}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("key", KEYS)
def test_servers_refuse_keys_that_are_no_keys(server: str, key: str, tmp_path: Path) -> None:
    kept = {name: value for name, value in os.environ.items() if not name.startswith(("JWT_", "DEBUG"))}
    env = kept | KEYS[key] | {"DEBUG": "false", "PORT": "9", "DB_PATH": str(tmp_path / "x.db")}
    done = subprocess.run(SERVERS[server], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "JWT_" in done.stderr and "Traceback" not in done.stderr
    if "JWT_SECRET" in KEYS[key]:
        assert "openssl rand -hex 32" in done.stderr
