"""A same-origin gateway for browser tests against the distributed services, routed as the nginx gateway routes
(deploy/gateway): the web UI's files at ``/``, ``/api/webhooks/`` to the dispatcher, ``/api/admin/`` to the
projector, the live stream and every GET/HEAD to the query API, other methods to the command API. Responses are
streamed through as they come, so Server-Sent Events work."""

from __future__ import annotations

import http.client
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Gateway:
    """Serves ``web_root`` and proxies /api/ to ``upstreams`` ({"command", "query", "projector", "webhooks"})."""

    def __init__(self, port: int, web_root: Path, upstreams: dict[str, str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.upstreams = upstreams
        gateway = self

        class Handler(SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(web_root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _route(self) -> str | None:
                path = urlsplit(self.path).path
                if not (path.startswith("/api/") or path in ("/health", "/ready")):
                    return None
                if path.startswith("/api/webhooks/"):
                    return gateway.upstreams["webhooks"]
                if path.startswith("/api/admin/"):
                    return gateway.upstreams["projector"]
                if self.command in ("GET", "HEAD"):
                    return gateway.upstreams["query"]
                return gateway.upstreams["command"]

            def _proxy(self) -> bool:
                target = self._route()
                if target is None:
                    return False
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
                upstream = urlsplit(target)
                conn = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    self.send_response(answer.status, answer.reason)
                    bodiless = answer.status in (204, 304) or self.command == "HEAD"
                    for key, value in answer.getheaders():
                        if key.lower() not in HOP and (bodiless or key.lower() != "content-length"):
                            self.send_header(key, value)
                    if bodiless:
                        self.end_headers()
                        answer.read()
                        return True
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    while chunk := answer.read1(65536):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (OSError, ValueError, http.client.HTTPException):  # an upstream or the browser went away
                    self.close_connection = True
                finally:
                    conn.close()
                return True

            def do_GET(self) -> None:
                if not self._proxy():
                    super().do_GET()

            def do_HEAD(self) -> None:
                if not self._proxy():
                    super().do_HEAD()

            def do_POST(self) -> None:
                if not self._proxy():
                    self.send_error(404)

            do_PUT = do_PATCH = do_DELETE = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
