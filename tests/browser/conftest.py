"""Browser tests: the app on a real HTTP server, driven by Playwright through Debian's Chromium.

The server is werkzeug's, on a free port in a thread, serving the test's own ``app`` (same database,
same ``FIXED_NOW``); every request runs in its own app context and database session, as in
production. A test arranges data through the services and commits before the browser looks.

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``); ``playwright install`` is
never used. Without it these tests fail in CI (``CI=true``) and are skipped elsewhere, saying why.
"""

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from workflow.db import db

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
PASSWORD = "correct-horse-battery"  # the password tests/conftest.py gives every staff user


@dataclass
class LiveServer:
    """A running HTTP server for one app; ``url`` has no trailing slash."""

    app: object
    url: str
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # a line per static file would drown the test output
        pass


def serve(app) -> LiveServer:
    """Serve ``app`` on 127.0.0.1 at a free port, in a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(app, f"http://127.0.0.1:{server.server_port}", server, thread)


def launch(playwright):
    """Launch Debian's Chromium headless with the flags that keep it off the network."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)


def chromium_missing_reason() -> str | None:
    """Return why the browser tests cannot run here, or None when Chromium is installed."""
    if CHROMIUM.exists():
        return None
    return (f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium) to run the browser "
            f"tests; `make test` does it when run as root")


@pytest.fixture(scope="session")
def browser():
    """Return one headless Chromium for the whole run (fails in CI, skips locally, if it is missing)."""
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app, browser) -> Iterator[LiveServer]:
    """Serve the test's app over HTTP for the length of the test."""
    db.session.commit()
    server = serve(app)
    yield server
    server.stop()


def _page(browser, live_server: LiveServer, viewport: dict, **options):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="id-ID",
                                  timezone_id="Asia/Makassar", **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """Return a desktop-sized page (1280×800) on the live server; paths are relative to it."""
    context, tab = _page(browser, live_server, DESKTOP)
    yield tab
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """Return a phone-sized page (360×740, touch) on the live server."""
    context, tab = _page(browser, live_server, PHONE, is_mobile=True, has_touch=True)
    yield tab
    context.close()


def login(page, username: str, password: str = PASSWORD) -> None:
    """Sign ``username`` in through the sign-in form and wait for the staff home page."""
    page.goto("/staf/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/staf/")


def fresh() -> None:
    """End the test's own transaction so it reads what the server committed since."""
    db.session.rollback()
    db.session.expire_all()
