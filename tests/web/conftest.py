"""HTTP test helpers shared by the web tests: an API client that behaves like a real server."""

import io

import pytest

from workflow.db import db

# What a citizen sends from the public web form.
COMPLAINT = {
    "title": "Jalan berlubang di Jalan Raya Gelgel",
    "description": "Lubang besar di depan pura, dua motor jatuh minggu ini.",
    "category": "jalan-rusak",
    "location": {"desa": "Gelgel", "kecamatan": "Klungkung"},
    "reporter": {"name": "I Komang Sutama", "phone": "081234567001", "email": "komang.sutama@example.id"},
}


class Api:
    """Calls ``/api/v1`` through ``app.test_client()``, each request in its own app context.

    The ``app`` fixture keeps an app context open for the whole test, and Flask reuses an open app
    context for a request; the database session would then carry over from one request to the next,
    as it never does on a real server.
    """

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def call(self, method: str, path: str, who=None, headers: dict | None = None, **kwargs):
        """Send one request; ``who`` is a staff member whose token goes along."""
        headers = dict(headers or {})
        if who is not None:
            headers.update(who.headers)
        db.session.commit()  # what the test arranged is stored before the server looks
        with self.app.app_context():
            response = self.client.open(path if path.startswith("/api/") else f"/api/v1{path}", method=method,
                                        headers=headers, **kwargs)
            response.get_data()
            response.close()  # a server closes a sent file once the body is out; so does this client
        db.session.expire_all()  # what the server changed is read afresh
        return response

    def get(self, path: str, who=None, **kwargs):
        """Send a GET."""
        return self.call("GET", path, who, **kwargs)

    def post(self, path: str, who=None, **kwargs):
        """Send a POST."""
        return self.call("POST", path, who, **kwargs)

    def ok(self, method: str, path: str, who=None, status: int = 200, **kwargs) -> dict:
        """Send a request that must succeed with ``status``; return its JSON."""
        response = self.call(method, path, who, **kwargs)
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def file(self, who=None, **overrides) -> dict:
        """File :data:`COMPLAINT` (changed by ``overrides``) and return the receipt."""
        return self.ok("POST", "/complaints", who, status=201, json=COMPLAINT | overrides)

    def act(self, complaint_id: int, action: str, who, **body) -> dict:
        """Take an action that must succeed; return the complaint."""
        return self.ok("POST", f"/complaints/{complaint_id}/actions/{action}", who, json=body)

    def detail(self, complaint_id: int, who) -> dict:
        """Return the staff view of a complaint."""
        return self.ok("GET", f"/complaints/{complaint_id}", who)

    def upload(self, path: str, name: str, data: bytes, who=None, headers: dict | None = None):
        """Upload one file as multipart field ``file``."""
        return self.call("POST", path, who, headers, data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")


@pytest.fixture
def api(app, tmp_path) -> Api:
    """Return the API client, with attachments stored in this test's own folder."""
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    return Api(app)


def error_of(response, status: int, code: str) -> dict:
    """Assert the one error shape and return its details."""
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["details"]
