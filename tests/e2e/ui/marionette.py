"""A minimal client for Firefox's built-in Marionette protocol, so the browser tests can drive Debian's
``firefox-esr`` without geckodriver.

The protocol is JSON over TCP in ``<length>:<json>`` frames. On connect Firefox sends a greeting
(``{"applicationType": "gecko", "marionetteProtocol": 3}``); then every command is ``[0, id, name, params]``
and its answer ``[1, id, error, result]``. The command names are WebDriver's (``WebDriver:Navigate``,
``WebDriver:FindElement``, ...), see https://firefox-source-docs.mozilla.org/testing/marionette/Protocol.html.

``Firefox`` starts one headless Firefox with a fresh profile whose prefs keep it on the loopback interface:
every proxied connection goes to a closed local port, and the services that phone home are switched off.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver key of an element reference
START_SECONDS = 60
COMMAND_SECONDS = 60

PREFS: dict[str, Any] = {
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.aboutwelcome.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topstories": False,
    "browser.newtabpage.activity-stream.feeds.topsites": False,
    "browser.newtabpage.activity-stream.telemetry": False,
    "browser.ping-centre.telemetry": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.search.update": False,
    "browser.topsites.contile.enabled": False,
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "app.update.enabled": False,
    "app.update.auto": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "dom.push.connection.enabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "geo.provider.network.url": "",
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "services.settings.server": "http://127.0.0.1:1/",
    "services.sync.enabled": False,
    # Everything but the loopback interface goes through a proxy on a closed local port, so it fails at once
    # (Firefox never proxies 127.0.0.1 and localhost).
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 1,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 1,
    "network.proxy.socks": "127.0.0.1",
    "network.proxy.socks_port": 1,
    "network.proxy.socks_remote_dns": True,
    "network.proxy.allow_hijacking_localhost": False,
    "network.trr.mode": 5,
}


class MarionetteError(Exception):
    """A command Firefox refused or could not carry out; ``kind`` is the WebDriver error code."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Firefox:
    """One headless Firefox (own profile, own process) and its Marionette session."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="helpdesk-firefox-"))
        port = _free_port()
        prefs = {**PREFS, "marionette.port": port}
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items())
        )
        self.log = (self.profile / "firefox.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--marionette",
                "-remote-allow-system-access",
                "--profile",
                str(self.profile),
                "-no-remote",
                "about:blank",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={"MOZ_HEADLESS": "1", "PATH": "/usr/bin:/bin", "HOME": str(self.profile)},
        )
        self.sock: socket.socket | None = None
        self._id = 0
        try:
            self.sock = self._connect(port)
            self.command("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"pageLoadStrategy": "normal"}}})
            self.command("WebDriver:SetTimeouts", {"pageLoad": 30_000, "script": 30_000, "implicit": 0})
            self.command("WebDriver:SetWindowRect", {"width": width, "height": height})
        except BaseException:
            self.quit()
            raise

    def _connect(self, port: int) -> socket.socket:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"firefox exited with {self.process.returncode}: {self.log_tail()}")
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no Marionette on port {port} in {START_SECONDS} s: {self.log_tail()}") from exc
                time.sleep(0.2)
                continue
            sock.settimeout(COMMAND_SECONDS)
            self.sock = sock
            hello = self._receive()
            if not isinstance(hello, dict) or hello.get("marionetteProtocol") != 3:
                raise RuntimeError(f"unexpected Marionette greeting: {hello!r}")
            return sock

    def log_tail(self) -> str:
        self.log.flush()
        return (self.profile / "firefox.log").read_text(errors="replace")[-2000:]

    # ---- framing --------------------------------------------------------------------------------------
    def _receive(self) -> Any:
        assert self.sock is not None
        head = b""
        while not head.endswith(b":"):
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("Marionette closed the connection")
            head += chunk
        size = int(head[:-1])
        body = b""
        while len(body) < size:
            chunk = self.sock.recv(size - len(body))
            if not chunk:
                raise ConnectionError("Marionette closed the connection")
            body += chunk
        return json.loads(body)

    def command(self, name: str, params: dict[str, Any] | None = None) -> Any:
        assert self.sock is not None
        self._id += 1
        data = json.dumps([0, self._id, name, params or {}]).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        while True:
            kind, msg_id, error, result = self._receive()
            if kind == 1 and msg_id == self._id:
                break
        if error:
            raise MarionetteError(error.get("error", "unknown error"), error.get("message", ""))
        return result.get("value") if isinstance(result, dict) and set(result) == {"value"} else result

    # ---- WebDriver commands ---------------------------------------------------------------------------
    def navigate(self, url: str) -> None:
        self.command("WebDriver:Navigate", {"url": url})

    def current_url(self) -> str:
        return str(self.command("WebDriver:GetCurrentURL"))

    def execute(self, script: str, *args: Any) -> Any:
        return self.command("WebDriver:ExecuteScript", {"script": script, "args": list(args)})

    def find(self, css: str) -> str:
        """The element's reference (raises MarionetteError ``no such element`` when there is none)."""
        found = self.command("WebDriver:FindElement", {"using": "css selector", "value": css})
        return str(found[ELEMENT])

    def find_all(self, css: str) -> list[str]:
        found = self.command("WebDriver:FindElements", {"using": "css selector", "value": css})
        return [str(e[ELEMENT]) for e in found]

    def click(self, element: str) -> None:
        self.command("WebDriver:ElementClick", {"id": element})

    def clear(self, element: str) -> None:
        self.command("WebDriver:ElementClear", {"id": element})

    def send_keys(self, element: str, text: str) -> None:
        self.command("WebDriver:ElementSendKeys", {"id": element, "text": text})

    def text(self, element: str) -> str:
        return str(self.command("WebDriver:GetElementText", {"id": element}))

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page, not only the window."""
        data = self.command("WebDriver:TakeScreenshot", {"full": True, "hash": False})
        path.write_bytes(base64.b64decode(data))

    def chrome_execute(self, script: str, *args: Any) -> Any:
        """Run a script in the browser's own (privileged) context, e.g. to read its console."""
        self.command("Marionette:SetContext", {"value": "chrome"})
        try:
            return self.execute(script, *args)
        finally:
            self.command("Marionette:SetContext", {"value": "content"})

    def quit(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(Exception):
                self.sock.settimeout(10)
                self.command("Marionette:Quit", {"flags": ["eForceQuit"]})
            with contextlib.suppress(Exception):
                self.sock.close()
            self.sock = None
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
