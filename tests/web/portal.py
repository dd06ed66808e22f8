"""A browser-like client for the citizen portal: keeps cookies, reads form tokens, fills the forms.

Each request runs in its own app context, as on a real server (see ``tests/web/conftest.Api``).
"""

import io
import re
from datetime import timedelta

from PIL import Image

from workflow.db import db

# What a citizen types into the filing form.
FORM = {
    "category": "jalan-rusak",
    "title": "Jalan berlubang di Jalan Raya Gelgel",
    "description": "Lubang besar di depan pura, dua motor jatuh minggu ini.",
    "desa": "Gelgel",
}
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|form_token)" value="([^"]*)"')


class Portal:
    """Talks to the portal like one person's browser."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def request(self, method: str, path: str, **kwargs):
        """Send one request in its own app context and return the response with its text read."""
        db.session.commit()  # what the test arranged is stored before the server looks
        with self.app.app_context():
            response = self.client.open(path, method=method, **kwargs)
            response.get_data()
            response.close()
        db.session.expire_all()
        return response

    def get(self, path: str, **kwargs):
        """Send a GET."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        """Send a form POST as it is typed (no tokens added)."""
        return self.request("POST", path, data=data or {}, **kwargs)

    def tokens(self, path: str) -> dict:
        """Open the page with a form and return its hidden tokens (CSRF and, on /adukan, the form token)."""
        response = self.get(path)
        assert response.status_code == 200, response.text
        return dict(HIDDEN.findall(response.text))

    def submit(self, page: str, action: str, data: dict, **kwargs):
        """Open ``page``, then post ``data`` with its tokens to ``action`` (like pressing the button)."""
        return self.post(action, self.tokens(page) | data, **kwargs)

    def file(self, wait: timedelta = timedelta(minutes=2), photos: list | None = None, **fields):
        """Open /adukan, take ``wait`` to fill it in (the frozen clock moves on), and send it."""
        tokens = self.tokens("/adukan")
        self.wait(wait)
        data = tokens | FORM | fields
        if photos is not None:
            data["photos"] = photos
        return self.post("/adukan", data, content_type="multipart/form-data")

    def wait(self, delta: timedelta) -> None:
        """Move the app's frozen clock forward."""
        self.app.config["FIXED_NOW"] = self.app.config["FIXED_NOW"] + delta

    def open_complaint(self, code: str, pin: str):
        """Open a complaint on /lacak with its code and PIN."""
        return self.submit("/lacak", "/lacak", {"kode": code, "pin": pin})


def receipt_of(response) -> tuple[str, str]:
    """Return the tracking code and PIN printed on a receipt page."""
    code = re.search(r"data-tracking-code>([^<]+)<", response.text)
    pin = re.search(r"data-pin>([^<]+)<", response.text)
    assert code and pin, response.text
    return code.group(1), pin.group(1)


def png(colour: str = "red") -> tuple[io.BytesIO, str]:
    """Return a small PNG photo as an upload."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    buffer.seek(0)
    return buffer, "lubang.png"
