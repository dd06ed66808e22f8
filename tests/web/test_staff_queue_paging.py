"""Large queues: counts stop at a limit and read "more than", and the deadline order holds from page to page."""

import re
from datetime import timedelta

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.services import desk


def sign_in(app, username: str):
    """Return a test client signed in through the staff form."""
    client = app.test_client()
    page = client.get("/staf/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/staf/masuk", data={"username": username, "password": "correct-horse-battery",
                                               "csrf_token": token})
    assert answer.status_code == 302
    return client


def text(response) -> str:
    """Return a page's words without tags or repeated blanks."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_a_queue_past_the_counting_limit_reads_more_than_the_limit_and_pages_on(app, staff, file, monkeypatch):
    monkeypatch.setattr(desk, "COUNT_LIMIT", 2)
    codes = [file(at=T0 - timedelta(hours=hours)).complaint.tracking_code for hours in (1, 2, 3)]
    db.session.remove()
    admin = sign_in(app, "admin")
    assert "2+ Pengaduan masuk" in text(admin.get("/staf/"))
    page = text(admin.get("/staf/antrian/incoming"))
    assert "Lebih dari 2 pengaduan" in page
    assert all(code in page for code in codes)
    assert "Halaman 1 dari 2+" in page and "Berikutnya" in page


def test_the_nearest_deadline_order_continues_from_page_to_page(staff, file, act):
    admin = staff["admin"].actor
    # Three still wait for verification (the oldest is due first), two were archived (no deadline: oldest first).
    waiting = [file(at=T0 - timedelta(days=days)).complaint.tracking_code for days in (3, 1, 2)]
    archived = [file(at=T0 - timedelta(days=days)).complaint for days in (9, 8)]
    for complaint in archived:
        act(complaint.id, "archive", admin, reason="spam")
    verified = file(at=T0 - timedelta(days=4)).complaint
    act(verified.id, "verify", admin, **VERIFY)  # response and resolution clocks now run: due later than all

    def page(number: int) -> list[str]:
        filters = desk.queue_filter(admin, "all", sort="deadline", per_page=2, page=number)
        return [item["tracking_code"] for item in desk.queue_page(admin, "all", filters, T0)["items"]]

    expected = [waiting[0], waiting[2], waiting[1], verified.tracking_code,
                archived[0].tracking_code, archived[1].tracking_code]
    assert page(1) + page(2) + page(3) == expected
    assert page(4) == []
