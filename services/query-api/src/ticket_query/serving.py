"""Running an app with uvicorn the way the query API and the embedded app do."""

from __future__ import annotations

from typing import Any

from ticket_service.logs import uvicorn_options


def serve(app: Any, *, host: str, port: int, log_level: str) -> None:
    """``uvicorn.run`` with the logging :func:`ticket_service.logs.configure_logging` set (no access log of its
    own: the shell's middleware writes one line per request, with tokens in the query string masked).

    uvloop and httptools are named, not left to uvicorn's "auto": a missing one fails at start instead of
    silently serving several times slower.
    """
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level.lower(), loop="uvloop", http="httptools", **uvicorn_options()
    )
    uvicorn.Server(config).run()
