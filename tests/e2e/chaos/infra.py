"""Private servers and processes the chaos suite may break: a throwaway PostgreSQL cluster and Redis on free
loopback ports, severable TCP proxies, and service processes it can kill, stop and restart by their own pid."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from tests.support.processes import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"


def _as_postgres(command: Sequence[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory, only for this run (the machine's server is never touched)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True)
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"]
        subprocess.run(_as_postgres(command), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]
        subprocess.run(_as_postgres(command), check=False, capture_output=True)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server on a free loopback port with no persistence: a restart comes back empty."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Proxy:
    """A TCP proxy that can be severed (open connections cut, new ones refused) and restored; it knows the local
    ports of its upstream connections, i.e. which ``pg_stat_activity.client_port`` belongs to whom."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.upstream_ports: set[int] = set()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def sever(self) -> None:
        if self._server is not None:
            self._server.close()
            for transport in list(self._transports):
                transport.abort()
            self._transports.clear()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.upstream_ports.add(up_writer.get_extra_info("sockname")[1])
        self._transports |= {writer.transport, up_writer.transport}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError, ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


class Service:
    """One service process (``ticket-command-api serve`` ...), its output appended to a log file."""

    def __init__(self, name: str, command: Sequence[str], env: Mapping[str, str], port: int, log: Path) -> None:
        self.name, self.command, self.env, self.port, self.log = name, list(command), dict(env), port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log.open("ab") as out:
            env = self.env | {"PORT": str(self.port)}
            self.process = subprocess.Popen(self.command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)

    async def wait_exit(self, within: float) -> int | None:
        """Waits in a thread: the proxies run on this event loop, and a service shutting down talks through them."""
        assert self.process is not None
        try:
            return await asyncio.to_thread(self.process.wait, within)
        except subprocess.TimeoutExpired:
            return None

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            if await self.wait_exit(10) is None:
                self.process.kill()
                await self.wait_exit(10)

    async def ready(self, client: httpx.AsyncClient) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return (await client.get(self.url + "/ready", timeout=3)).status_code == 200
        return False

    async def wait_ready(self, client: httpx.AsyncClient, within: float = 30.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            if await self.ready(client):
                return True
            await asyncio.sleep(0.1)
        return False


BIN_OF = {"command-api": "ticket-command-api", "projector": "ticket-projector", "query-api": "ticket-query-api"}
VERB_OF = {"command-api": "serve", "projector": "run", "query-api": "serve"}


def service_command(name: str) -> list[str]:
    return [str(BIN / BIN_OF[name]), VERB_OF[name]]
