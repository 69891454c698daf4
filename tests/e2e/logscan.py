"""No token or secret in any service's log line during the end-to-end session.

While the e2e tests run, :class:`LogScan` watches:

- every service process a test starts with its output going to a file (``ticket-command-api``,
  ``ticket-projector``, ``ticket-query-api``, ``ticket-webhooks``, ``python -m ticket_embedded``,
  ``deploy/stack.py``, whose output holds the lines of every service it starts): that file, and the secrets of its
  environment (``JWT_SECRET`` and any ``*SECRET*``, ``*PASSWORD*``, ``*TOKEN*``, ``*WEBHOOK*`` (a webhook's URL;
  not the webhooks service's ``WEBHOOKS_*`` settings, whose secret is ``WEBHOOKS_SECRET_KEY``), ``*PRIVATE*``,
  ``*API_KEY*``, ``*DATA_KEY*`` variable; the password of every URL, e.g. ``DATABASE_URL``; not the deploy files'
  public placeholders);
- every token this process signs (``jwt.encode``), and every ``Authorization`` and ``Idempotency-Key`` header it
  sends with httpx.

At the end of the session every watched log is read, and the session fails (:meth:`LogScan.findings`) when a line
holds a registered token or secret, a JWT-looking string (``eyJ…`` three base64url parts) or a PEM private key.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|WEBHOOK(?!S_)|PRIVATE|API_KEY|DATA_KEY", re.IGNORECASE)
SERVICES = (
    "ticket-command-api",
    "ticket-projector",
    "ticket-query-api",
    "ticket-webhooks",
    "ticket_embedded",
    "ticket-embedded",
)
PLACEHOLDER = re.compile(r"change-me|replace-me", re.IGNORECASE)
SHORTEST = 8  # shorter values (``x``, ``postgres``-like words) would match ordinary text


@dataclass
class LogScan:
    secrets: dict[str, str] = field(default_factory=dict)  # value -> what it is
    logs: set[Path] = field(default_factory=set)

    def register(self, value: str | None, what: str) -> None:
        if value and len(value) >= SHORTEST:
            self.secrets.setdefault(value, what)

    def watch_process(self, args: Any, env: Mapping[str, str] | None, stdout: Any) -> None:
        command = (
            " ".join(str(a) for a in args) if isinstance(args, Sequence) and not isinstance(args, str) else str(args)
        )
        if not any(name in command for name in SERVICES) and "stack.py" not in command:
            return
        name = getattr(stdout, "name", None)
        if not (isinstance(name, str) and os.path.isfile(name)):
            return  # output a test reads itself (a pipe): not a log this scan reads
        self.logs.add(Path(name))
        for key, value in (env or {}).items():
            if PLACEHOLDER.search(value):
                continue  # the refused placeholders of the deploy files are public text, not secrets
            if SECRET_NAMES.search(key) and "PUBLIC" not in key.upper():
                self.register(value, f"${key}")
            if "://" in value:
                self.register(urlsplit(value).password, f"the password in ${key}")

    def watch_headers(self, headers: Mapping[str, str]) -> None:
        authorization = headers.get("authorization") or ""
        scheme, _, credentials = authorization.partition(" ")
        self.register(credentials.strip() if scheme.lower() == "bearer" else authorization, "a bearer token sent")
        self.register(headers.get("idempotency-key"), "an Idempotency-Key sent")

    def findings(self) -> list[str]:
        """``path:line: what`` for every line that holds a secret (the secret itself is not repeated)."""
        known = (
            re.compile("|".join(re.escape(s) for s in sorted(self.secrets, key=len, reverse=True)))
            if self.secrets
            else None
        )
        found = []
        for path in sorted(self.logs):
            if not path.is_file():
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                why = self._why(line, known)
                if why:
                    found.append(f"{path}:{number}: {why}")
        return found

    def _why(self, line: str, known: re.Pattern[str] | None) -> str | None:
        if known is not None and (match := known.search(line)):
            return self.secrets[match.group(0)]
        if JWT.search(line):
            return "a JWT-looking string"
        if PRIVATE_KEY.search(line):
            return "a PEM private key"
        return None


@dataclass
class Patched:
    """Attributes replaced for the session, put back by :meth:`restore`."""

    undo: list[Callable[[], None]] = field(default_factory=list)

    def replace(self, owner: Any, name: str, value: Any) -> None:
        original = getattr(owner, name)
        setattr(owner, name, value)
        self.undo.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        while self.undo:
            self.undo.pop()()


def watching(scan: LogScan) -> Iterator[LogScan]:
    """Hooks ``subprocess.Popen``, ``jwt.encode`` and httpx's ``send`` for as long as the generator is suspended."""
    import httpx
    import jwt

    patched = Patched()
    original_popen = subprocess.Popen

    class WatchedPopen(original_popen):  # type: ignore[valid-type,misc]
        def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
            scan.watch_process(args, options.get("env") or os.environ, options.get("stdout"))
            super().__init__(args, *rest, **options)

    encode = jwt.encode

    def signing(*args: Any, **kwargs: Any) -> str:
        token: str = encode(*args, **kwargs)
        scan.register(token, "a token signed in the tests")
        return token

    def sending(send: Callable[..., Any]) -> Callable[..., Any]:
        def watched(self: Any, request: httpx.Request, *args: Any, **kwargs: Any) -> Any:
            scan.watch_headers(request.headers)
            return send(self, request, *args, **kwargs)

        return watched

    patched.replace(subprocess, "Popen", WatchedPopen)
    patched.replace(jwt, "encode", signing)
    patched.replace(httpx.Client, "send", sending(httpx.Client.send))
    patched.replace(httpx.AsyncClient, "send", sending(httpx.AsyncClient.send))
    try:
        yield scan
    finally:
        patched.restore()
