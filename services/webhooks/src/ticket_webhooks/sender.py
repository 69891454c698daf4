"""One delivery attempt over HTTP: the URL checked again (and the connection pinned to the address checked), a
bounded time, no redirects followed, no proxy from the environment, the start of the answer kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

import httpx

from . import ssrf
from .queue import Outcome

EXCERPT_CHARS = 200
READ_BYTES = 1024


class Sender:
    def __init__(self, *, timeout: float, allow_private: bool, allowed_hosts: Iterable[str] = ()) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.allowed_hosts = tuple(allowed_hosts)
        # No keep-alive: a connection opened for one host name is never reused for another on the same address.
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=timeout,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"user-agent": "support-ticket-webhooks/1"},
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        started = time.perf_counter()
        try:
            target = await ssrf.check(url, allow_private=self.allow_private, allowed_hosts=self.allowed_hosts)
        except ssrf.UnsafeUrl as refused:
            return Outcome(False, None, None, f"not sent: {refused}")
        request = self._request(target, headers, body)
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.client.send(request, stream=True)
                try:
                    excerpt = await _start_of(response)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return Outcome(False, None, _since(started), f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            return Outcome(False, None, _since(started), f"{type(exc).__name__}: {exc}"[:EXCERPT_CHARS])
        status = response.status_code
        return Outcome(200 <= status < 300, status, _since(started), excerpt)

    def _request(self, target: ssrf.Target, headers: Mapping[str, str], body: bytes) -> httpx.Request:
        url = httpx.URL(target.url)
        extensions = {}
        if target.address is not None:
            extensions["sni_hostname"] = target.host
            headers = {**headers, "host": url.netloc.decode("ascii")}
            url = url.copy_with(host=target.address)
        return self.client.build_request("POST", url, headers=dict(headers), content=body, extensions=extensions)


async def _start_of(response: httpx.Response) -> str:
    read = b""
    async for chunk in response.aiter_raw():
        read += chunk
        if len(read) >= READ_BYTES:
            break
    return read[:READ_BYTES].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
