"""POST /webhooks/mesadu: signed with a shared secret, fresh, idempotent, and clear about bad input."""

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from tests.conftest import T0
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, IdempotencyRecord

SECRET = "mesadu-test-secret"
NOW = int(T0.timestamp())  # the API's clock is frozen at T0 in tests


def event(event_id: str = "evt-0001", **complaint) -> dict:
    body = {"id": "MSD-2026-00042", "title": "Pohon tumbang menutup jalan di Desa Kamasan",
            "description": "Pohon besar tumbang setelah hujan deras, jalan desa tertutup sejak pagi.",
            "category": "pohon-tumbang", "created_at": "2026-03-17T09:30:00+08:00", "occurred_on": "2026-03-17",
            "location": {"desa": "Kamasan", "kecamatan": "Klungkung"},
            "reporter": {"name": "I Wayan Sudarsana", "phone": "081234567003"}}
    body.update(complaint)
    return {"event_id": event_id, "event": "complaint.created", "complaint": body}


def sign(body: bytes, timestamp: int | str = NOW, secret: str = SECRET) -> dict:
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Mesadu-Timestamp": str(timestamp), "X-Mesadu-Signature": signature}


@pytest.fixture
def deliver(app):
    """Return a function that posts a signed delivery (a dict is sent as JSON) and returns the response."""
    app.config["MESADU_SECRET"] = SECRET
    client = app.test_client()

    def post(payload: dict | bytes, headers: dict | None = None, **signing):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = client.post("/webhooks/mesadu", data=body, content_type="application/json",
                               headers=sign(body, **signing) if headers is None else headers)
        db.session.expire_all()
        return response

    return post


def stored() -> tuple[int, int]:
    complaints = db.session.scalar(select(func.count()).select_from(Complaint))
    events = db.session.scalar(select(func.count()).select_from(IdempotencyRecord).filter_by(scope="webhook:mesadu"))
    return complaints, events


def test_a_signed_delivery_files_a_mesadu_complaint_the_reporter_can_track(app, deliver):
    response = deliver(event())

    assert response.status_code == 201
    answer = response.get_json()
    assert answer["tracking_code"].startswith("KLK-26-") and len(answer["pin"]) == 6
    assert answer["external_ref"] == "MSD-2026-00042" and answer["state"] == "received"
    assert answer["received_at"] == "2026-03-17T09:30:00+08:00"  # when the citizen filed in Mesadu
    complaint = db.session.scalars(select(Complaint)).one()
    assert (complaint.channel, complaint.category_code, complaint.desa) == ("mesadu", "pohon-tumbang", "Kamasan")
    filed = db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=complaint.id, action="file")).one()
    assert filed.actor_role == "system" and filed.details["channel"] == "mesadu"
    tracked = app.test_client().get(f"/api/v1/track/{answer['tracking_code']}",
                                    headers={"X-Tracking-Pin": answer["pin"]})
    assert tracked.status_code == 200 and tracked.get_json()["title"].startswith("Pohon tumbang")


def test_the_same_delivery_again_is_answered_as_the_first_time_and_stores_nothing(deliver):
    body = json.dumps(event()).encode()
    first = deliver(body)
    again = deliver(body, timestamp=NOW - 60)  # Mesadu's retry: same body, newly signed

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["tracking_code"] == first.get_json()["tracking_code"]
    assert again.get_json()["pin"] == first.get_json()["pin"]
    assert stored() == (1, 1)


def test_a_new_event_for_a_complaint_already_received_files_nothing_new(deliver):
    first = deliver(event("evt-0001"))
    second = deliver(event("evt-0002"))

    assert second.status_code == 200 and second.get_json()["tracking_code"] == first.get_json()["tracking_code"]
    assert stored() == (1, 2)  # both event ids are kept


@pytest.mark.parametrize(("second", "field"), [
    (event("evt-0001", title="Judul lain untuk event yang sama"), "event_id"),
    (event("evt-0002", description="Isi yang berbeda untuk pengaduan Mesadu yang sama."), "complaint.id"),
], ids=["event-id-reused", "mesadu-id-reused"])
def test_an_id_seen_before_with_other_content_is_refused(deliver, second, field):
    deliver(event("evt-0001"))

    response = deliver(second)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "idempotency_conflict" and field in error["details"]
    assert stored() == (1, 1)


@pytest.mark.parametrize(("headers", "hint"), [
    ({}, "headers"),
    ({"X-Mesadu-Timestamp": str(NOW)}, "headers"),
    ({"X-Mesadu-Timestamp": "yesterday", "X-Mesadu-Signature": "00"}, "X-Mesadu-Timestamp"),
    ({"X-Mesadu-Timestamp": str(NOW), "X-Mesadu-Signature": "0" * 64}, "X-Mesadu-Signature"),
    (sign(json.dumps(event()).encode(), secret="not-the-secret"), "X-Mesadu-Signature"),
    (sign(json.dumps(event(title="Isi diubah di jalan")).encode()), "X-Mesadu-Signature"),
    (sign(json.dumps(event()).encode(), timestamp=NOW - 301), "X-Mesadu-Timestamp"),
    (sign(json.dumps(event()).encode(), timestamp=NOW + 301), "X-Mesadu-Timestamp"),
], ids=["unsigned", "no-signature", "bad-timestamp", "wrong-signature", "wrong-secret", "tampered-body",
        "replayed-after-5-minutes", "from-the-future"])
def test_an_unsigned_forged_or_stale_delivery_is_refused(deliver, headers, hint):
    response = deliver(event(), headers=headers)

    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "authentication_required" and hint in error["details"]
    assert "WWW-Authenticate" not in response.headers
    assert stored() == (0, 0)


def test_a_delivery_inside_the_five_minute_window_is_accepted(deliver):
    assert deliver(event(), timestamp=NOW - 299).status_code == 201


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    (b'{"event_id": "evt-1", "event": ', 400, "malformed_body", "body"),
    ('{"event_id": "evt-1", "judul": "caf\u00e9"}'.encode("latin-1"), 400, "malformed_body", "body"),
    (b"[1, 2, 3]", 422, "invalid_input", None),
    (json.dumps({"event_id": "evt-1", "event": "complaint.deleted", "complaint": event()["complaint"]}).encode(),
     422, "invalid_input", "event"),
    (json.dumps(event(title="")).encode(), 422, "invalid_input", "complaint.title"),
    (json.dumps(event(created_at="2026-03-17T09:30:00")).encode(), 422, "invalid_input", "complaint.created_at"),
    (json.dumps(event(reporter={"phone": "call me"})).encode(), 422, "invalid_input", "complaint.reporter.phone"),
    (json.dumps(event(location={"lat": 123})).encode(), 422, "invalid_input", "complaint.location.lat"),
    (json.dumps(event(colour="red")).encode(), 422, "invalid_input", "complaint.colour"),
], ids=["malformed-json", "invalid-utf8", "not-an-object", "unknown-event", "empty-title", "naive-time",
        "bad-phone", "bad-coordinates", "unknown-field"])
def test_bad_input_gets_a_clear_error_and_stores_nothing(deliver, body, status, code, field):
    response = deliver(body)

    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert field in error["details"]
    assert stored() == (0, 0)


def test_an_event_refused_for_bad_input_can_be_sent_again_corrected(deliver):
    assert deliver(event(title="")).status_code == 422

    assert deliver(event()).status_code == 201
    assert stored() == (1, 1)


def test_a_category_we_do_not_know_comes_in_for_the_administrator(deliver):
    deliver(event(category="fasilitas-umum"))

    complaint = db.session.scalars(select(Complaint)).one()
    assert complaint.category_code == "lainnya"
    assert "[Kategori di Klungkung Mesadu / category in Klungkung Mesadu: fasilitas-umum]" in complaint.description


def test_an_oversized_delivery_is_refused(deliver):
    huge = json.dumps(event(description="x" * (1024 * 1024))).encode()

    response = deliver(huge)

    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"
    assert stored() == (0, 0)


def test_without_a_secret_configured_every_delivery_is_refused(app, deliver):
    app.config["MESADU_SECRET"] = ""

    response = deliver(event())

    assert response.status_code == 503 and response.get_json()["error"]["code"] == "mesadu_not_configured"
    assert stored() == (0, 0)
