"""Save desktop (1280×800) and phone (360×740) screenshots of each main staff page (``make screenshots``).

A throw-away SQLite database is migrated and filled with the demo data (``web/demo.py``) at a fixed
moment, the app is served the way the browser tests serve it, and Debian's Chromium visits each
page as the demo user who works there. Usage: ``python scripts/screenshots.py [folder]``.
"""

import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from tests.browser.conftest import DESKTOP, PHONE, chromium_missing_reason, launch, serve
from web import create_app
from web.demo import password_of, seed
from workflow.db import db
from workflow.models import Complaint, User

# Tue 17 Mar 2026, 10:00 WITA: the demo's "now", so every run draws the same pages.
MOMENT = datetime.fromisoformat("2026-03-17T10:00:00+08:00")


def pages(ids: dict) -> list[tuple[str, str | None, str]]:
    """Return (file name, demo user or None, path) for each main staff page."""
    return [
        ("01-sign-in", None, "/staf/masuk"),
        ("02-admin-queues", "admin", "/staf/"),
        ("03-admin-incoming", "admin", "/staf/antrian/incoming"),
        ("04-admin-verify", "admin", f"/staf/pengaduan/{ids['received']}"),
        ("05-unit-in-progress", "dlhp", "/staf/antrian/in_progress"),
        ("06-unit-complaint", "dlhp", f"/staf/pengaduan/{ids['in_progress']}"),
        ("07-penghubung-breached", "penghubung-dlhp", "/staf/antrian/breached"),
        ("08-inspector-breach-audit", "inspektorat", "/staf/pelanggaran?from=2026-01-01&to=2026-03-17"),
        ("09-sysadmin-users", "sysadmin", "/staf/pengguna"),
        ("10-sysadmin-penghubung", "sysadmin", f"/staf/pengguna/{ids['penghubung']}"),
    ]


def main(folder: str = "docs/screenshots") -> int:
    """Seed a demo database, serve it, and write two screenshots per main page into ``folder``."""
    reason = chromium_missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/demo.db",
                          "FIXED_NOW": MOMENT, "RATELIMIT_ENABLED": False, "ATTACHMENT_DIR": scratch})
        with app.app_context():
            upgrade(revision="heads")
            seed(MOMENT)
            db.session.commit()
            ids = {"received": db.session.scalar(select(Complaint.id).filter_by(state="received")
                                                 .order_by(Complaint.id)),
                   "in_progress": db.session.scalar(select(Complaint.id).filter_by(state="in_progress")
                                                    .order_by(Complaint.id)),
                   "penghubung": db.session.scalar(select(User.id).filter_by(username="penghubung-pupr"))}
            db.session.remove()
        server = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                for name, viewport, options in (("desktop", DESKTOP, {}),
                                                ("phone", PHONE, {"is_mobile": True, "has_touch": True})):
                    sessions: dict = {}
                    for page_name, username, path in pages(ids):
                        tab = sessions.get(username) or sessions.setdefault(
                            username, _signed_in(browser, server.url, viewport, options, username))
                        tab.goto(path)
                        target = out / f"{page_name}-{name}.png"
                        tab.screenshot(path=str(target), full_page=True)
                        print(target)
                    for tab in sessions.values():
                        tab.context.close()
                browser.close()
        finally:
            server.stop()
    return 0


def _signed_in(browser, url: str, viewport: dict, options: dict, username: str | None):
    context = browser.new_context(base_url=url, viewport=viewport, locale="id-ID", timezone_id="Asia/Makassar",
                                  **options)
    tab = context.new_page()
    if username is not None:
        tab.goto("/staf/masuk")
        tab.get_by_label("Nama pengguna").fill(username)
        tab.get_by_label("Kata sandi").fill(password_of(username))
        tab.get_by_role("button", name="Masuk").click()
        tab.wait_for_url("**/staf/")
    return tab


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
