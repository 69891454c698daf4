"""Fixtures for the browser tests: a running help desk (``ui_base_url``) and headless Chromium windows.

The backend comes from, in order:

1. ``UI_BASE_URL`` in the environment: an already running help desk that serves the API and ``frontend/``
   on one origin (the gateway, ``make run``, or a developer's server), in debug mode.
2. The embedded mode (package ``ticket_embedded``): ``python -m ticket_embedded`` started on a free loopback
   port with ``DEBUG=true`` and ``DB_PATH`` in a temporary folder.

Otherwise the tests are skipped with the reason. Chromium is Debian's (``apt-get install -y chromium
chromium-driver``), driven by Selenium through ``/usr/bin/chromedriver``; nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import terminate

REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_PATH", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


@contextlib.contextmanager
def _embedded_server(tmp: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DB_PATH": str(tmp / "helpdesk.db"),
        "DEBUG": "true",
        "LOG_LEVEL": "warning",
    }
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_embedded"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(f"{base}/health"):
            if process.poll() is not None:
                log.flush()
                output = (tmp / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"python -m ticket_embedded exited with {process.returncode}:\n{output}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"python -m ticket_embedded did not answer on {base}/health in {STARTUP_SECONDS} s")
            time.sleep(0.2)
        yield base
    finally:
        terminate(process)
        log.close()


@pytest.fixture(scope="session")
def ui_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a help desk serving the API and the web UI on one origin, in debug mode."""
    given = os.environ.get("UI_BASE_URL")
    if given:
        if not _answers(given.rstrip("/") + "/"):
            pytest.fail(f"UI_BASE_URL={given} does not answer", pytrace=False)
        yield given.rstrip("/")
        return
    if importlib.util.find_spec("ticket_embedded") is None:
        # Only when the UI is checked out without the Python packages: there is no server to test against.
        pytest.skip(
            "no backend for the browser tests: the embedded server (package ticket_embedded) is not installed "
            "and UI_BASE_URL is not set"
        )
    with _embedded_server(tmp_path_factory.mktemp("embedded")) as base:
        yield base


def _chromium_missing() -> str | None:
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (make install)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} not found: apt-get install -y chromium chromium-driver"
    return None


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def browser(ui_base_url: str) -> Iterator[Callable[..., Any]]:
    """A factory of fresh headless Chromium windows (own profile each); all are closed after the test."""
    reason = _chromium_missing()
    if reason:
        # Chromium and its driver are Debian packages (tools/system-deps.sh); the reason names what is missing.
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: list[Any] = []
    profiles: list[str] = []

    def open_browser(width: int = 1280, height: int = 900) -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        profile = tempfile.mkdtemp(prefix="helpdesk-ui-")
        profiles.append(profile)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_window_size(width, height)
        driver.set_page_load_timeout(30)
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        with contextlib.suppress(Exception):
            driver.quit()
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)
