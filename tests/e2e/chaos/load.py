"""A bounded load of HTTP clients that retry like careful partners: the same Idempotency-Key on 503, on a
connection error or a timeout, against the next command-api replica, until the load's deadline."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from dataclasses import dataclass, field

import httpx

from ticket_service.auth import mint_token

STEPS: tuple[tuple[str, dict[str, str]], ...] = (
    ("assign", {"assignee": "bob"}),
    ("start_work", {}),
    ("resolve", {"resolution": "done"}),
)


@dataclass(frozen=True)
class Ack:
    key: str
    ticket: str
    at: float  # time.monotonic() of the answer


@dataclass
class Load:
    urls: list[str]
    secret: str
    clients: int = 24
    commands_per_client: int = 10_000  # in practice the duration bounds the load; this bounds a runaway
    request_timeout: float = 5.0
    acks: list[Ack] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # answers neither successful nor retried (e.g. a 500)
    cut: int = 0  # requests sent whose connection broke before the answer (retried; not a refused connection)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stop.set()

    async def run(self, duration: float) -> None:
        headers = {
            "customer": {"Authorization": f"Bearer {mint_token(self.secret, 'alice', ['customer'])}"},
            "agent": {"Authorization": f"Bearer {mint_token(self.secret, 'bob', ['agent'])}"},
        }
        limits = httpx.Limits(max_connections=self.clients * 2)
        async with httpx.AsyncClient(timeout=self.request_timeout, limits=limits, trust_env=False) as http:
            workers = [self._client(http, headers, n) for n in range(self.clients)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*workers), duration)

    async def _client(self, http: httpx.AsyncClient, headers: dict[str, dict[str, str]], n: int) -> None:
        run = uuid.uuid4().hex[:8]
        replicas = itertools.cycle(self.urls[n % len(self.urls) :] + self.urls[: n % len(self.urls)])
        done = 0
        while done < self.commands_per_client and not self._stop.is_set():
            key = f"{run}-{n}-{done}-create"
            ticket = await self._send(http, replicas, "/api/support-ticket", {"subject": "chaos"}, key, headers)
            done += 1
            if ticket is None:
                continue
            for transition, data in STEPS:
                if self._stop.is_set() or done >= self.commands_per_client:
                    return
                key = f"{run}-{n}-{done}-{transition}"
                body: dict[str, object] = {"aggregate_id": ticket, "data": data}
                done += 1
                if await self._send(http, replicas, f"/api/{transition}", body, key, headers) is None:
                    break

    async def _send(
        self,
        http: httpx.AsyncClient,
        replicas: itertools.cycle[str],
        path: str,
        body: dict[str, object],
        key: str,
        headers: dict[str, dict[str, str]],
    ) -> str | None:
        role = "customer" if path == "/api/support-ticket" else "agent"
        request_headers = headers[role] | {"Idempotency-Key": key}
        delay = 0.05
        url = next(replicas)
        while not self._stop.is_set():
            try:
                answer = await http.post(url + path, json=body, headers=request_headers)
            except httpx.ConnectError:
                answer = None
            except httpx.TransportError:
                answer, self.cut = None, self.cut + 1
            if answer is not None and answer.status_code in (200, 201):
                ticket: str = answer.json()["aggregate_id"]
                self.acks.append(Ack(key, ticket, time.monotonic()))
                return ticket
            if answer is not None and answer.status_code != 503:
                self.errors.append(f"{answer.status_code} {path}: {answer.text[:200]}")
                return None
            url = next(replicas)  # as a load balancer would: try another replica
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
        return None
