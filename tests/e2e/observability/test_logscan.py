"""The session's log scan finds what it must: a signed token, an environment secret, a password in a URL, a
JWT-looking string, in the log of a watched process; and nothing in clean lines or in processes it does not watch.
The planted logs are removed afterwards: the session's own scan watched their processes too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ticket_service.auth import mint_token

from ..logscan import LogScan, watching

SECRET = "scan-test-secret-0123456789abcdef"


def run(scan: LogScan, log: Path, text: str, *, name: str = "ticket-projector", **env: str) -> None:
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "-c", "import sys; print(sys.argv[1])", text, name], env=env, stdout=out, timeout=30
        )


def test_the_scan_finds_tokens_and_secrets_in_watched_logs(tmp_path: Path) -> None:
    scan = LogScan()
    hooks = watching(scan)
    next(hooks)
    try:
        token = mint_token(SECRET, "alice", ["customer"])
        url = "postgresql://support:pg-password-42@127.0.0.1:5432/x"
        run(scan, tmp_path / "token.log", f"GET /x Authorization: Bearer {token}")
        run(scan, tmp_path / "secret.log", f"key is {SECRET}", JWT_SECRET=SECRET)
        run(scan, tmp_path / "password.log", "connecting as pg-password-42", DATABASE_URL=url)
        run(scan, tmp_path / "clean.log", "POST /api/support-ticket 201 3.1ms", JWT_SECRET=SECRET)
        run(scan, tmp_path / "unwatched.log", f"Bearer {token}", name="some-other-tool")
        key = "webhooks-key-0123456789abcdef"
        settings = {"WEBHOOKS_SECRET_KEY": key, "WEBHOOKS_GROUP": "webhooks-dispatch"}
        run(scan, tmp_path / "webhooks.log", f"sealing with {key}", name="ticket-webhooks", **settings)
        settings["WEBHOOKS_SECRET_KEY"] = "webhooks-key-fedcba9876543210"
        run(scan, tmp_path / "group.log", "reading as webhooks-dispatch", name="ticket-webhooks", **settings)
    finally:
        hooks.close()
    scan.register(None, "nothing")  # ignored, as are short values
    found = "\n".join(scan.findings())
    assert "token.log:1: a token signed in the tests" in found
    assert "secret.log:1: $JWT_SECRET" in found
    assert "password.log:1: the password in $DATABASE_URL" in found
    assert "clean.log" not in found and "unwatched.log" not in found
    assert "webhooks.log:1: $WEBHOOKS_SECRET_KEY" in found  # the webhooks service's log is read, its key a secret
    assert "group.log" not in found  # its plain WEBHOOKS_* settings are not
    assert token not in found and SECRET not in found

    alone = LogScan(logs={tmp_path / "token.log"})  # no token registered: the shape gives it away
    assert alone.findings() == [f"{tmp_path / 'token.log'}:1: a JWT-looking string"]
    for planted in tmp_path.glob("*.log"):  # the session's own scan watched these processes too
        planted.unlink()
