"""Leak tests: an anonymous and a confidential reporter's name, phone and e-mail reach no public page, no open
data, no Open311 answer and no notice to a unit, through a whole lifecycle on every channel that shows text."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import T0, VERIFY
from tests.web.portal import Portal, receipt_of
from workflow.db import db
from workflow.domain.states import Role
from workflow.models import Complaint, OutboxMessage, User

REPORTERS = {
    "anonymous": {"reporter_name": "Ni Luh Putu Sekarwangi", "reporter_phone": "081311112222",
                  "reporter_email": "sekarwangi@example.id", "anonymous": "1"},
    "confidential": {"reporter_name": "I Made Darmayasa", "reporter_phone": "+62 813 5555 6666",
                     "reporter_email": "darmayasa@example.id", "confidential": "1"},
}


def forms_of(reporter: dict) -> list[str]:
    """Return every way the reporter's identity could be written."""
    digits = re.sub(r"[^0-9]", "", reporter["reporter_phone"])
    national = digits[2:] if digits.startswith("62") else digits[1:]
    return [reporter["reporter_name"], reporter["reporter_email"], reporter["reporter_phone"], digits,
            "0" + national, "+62" + national, reporter["reporter_name"].split()[-1]]


@pytest.fixture
def lifecycle(app, tmp_path, staff, act):
    """File both complaints on the public form and take them through verification, answers and a dispute."""
    app.config.update(NOTIFICATIONS_ENABLED=True, ATTACHMENT_DIR=str(tmp_path / "attachments"))
    portal = Portal(app)
    codes = {}
    for kind, reporter in REPORTERS.items():
        # The reporter also writes their own name into the story, as people do.
        story = f"Saya {reporter['reporter_name']} ({reporter['reporter_phone']}). Air PDAM mati sejak Senin."
        response = portal.file(**(reporter | {"category": "air-pdam", "description": story,
                                              "title": "Air PDAM mati di Banjar Siku", "desa": "Gelgel"}))
        code, pin = receipt_of(response)
        complaint = db.session.scalar(select(Complaint).filter_by(tracking_code=code))
        codes[kind] = code
        moment = T0 + timedelta(hours=1)
        act(complaint.id, "verify", staff["admin"].actor, moment,
            **(VERIFY | {"unit": "PDAM", "anonymous": kind == "anonymous", "confidential": kind == "confidential",
                         "comment": "Diteruskan ke PDAM."}))
        act(complaint.id, "acknowledge", staff["pdam"].actor, moment + timedelta(hours=1))
        act(complaint.id, "respond", staff["penghubung_pdam"].actor, moment + timedelta(hours=2),
            comment="Pipa sudah diganti.")
        tracker = Portal(app)
        path = tracker.open_complaint(code, pin).headers["Location"]
        # An anonymous reporter who signs their answer with their name is still not named to the unit.
        signed = f"Saya {reporter['reporter_name']} belum puas" if kind == "anonymous" else "Belum puas"
        tracker.submit(path, f"/lacak/{code}/jawab", {"answer": "belum", "reason": f"{signed}, air masih keruh."})
        tracker.submit(path, f"/lacak/{code}/informasi", {"information": f"Hubungi {reporter['reporter_email']}."})
        act(complaint.id, "escalate", staff["penghubung_pdam"].actor, moment + timedelta(hours=3),
            comment="Mohon perhatian.")
    return portal, codes


def public_texts(portal: Portal, codes: dict) -> dict[str, str]:
    """Return what anyone can read: every public page, the open data, and Open311 in both formats."""
    paths = ["/", "/pengaduan", "/pengaduan?status=terbuka", "/statistik", "/cara-kerja",
             "/data-terbuka/pengaduan.csv", "/open311/v2/requests.json", "/open311/v2/requests.xml"]
    for code in codes.values():
        paths += [f"/pengaduan/{code}", f"/open311/v2/requests/{code}.json", f"/open311/v2/requests/{code}.xml",
                  f"/lacak/{code}"]
    return {path: portal.get(path).get_data(as_text=True) for path in paths}


@pytest.mark.parametrize("kind", list(REPORTERS))
def test_the_reporter_appears_on_no_public_page_open_data_or_open311(lifecycle, kind):
    portal, codes = lifecycle
    texts = public_texts(portal, codes)
    # The anonymous complaint is published (without its reporter); the confidential one is not published at all.
    assert codes["anonymous"] in texts["/pengaduan"] and codes["confidential"] not in texts["/pengaduan"]
    assert "Air PDAM mati sejak Senin." in texts[f"/pengaduan/{codes['anonymous']}"]
    assert "Air PDAM mati" not in texts[f"/open311/v2/requests/{codes['confidential']}.json"]
    for path, text in texts.items():
        for form in forms_of(REPORTERS[kind]):
            assert form not in text, f"{form!r} leaks on {path}"


@pytest.mark.parametrize("kind", list(REPORTERS))
def test_no_notice_to_a_unit_or_other_staff_carries_the_reporter(lifecycle, kind):
    _, codes = lifecycle
    complaint = db.session.scalar(select(Complaint).filter_by(tracking_code=codes[kind]))
    admins = set(db.session.scalars(select(User.id).filter_by(role=Role.admin_instansi.value)))
    unit_staff = set(db.session.scalars(select(User.id).where(User.unit_id == complaint.unit_id)))
    notices = db.session.scalars(select(OutboxMessage).filter_by(kind="inapp", complaint_id=complaint.id)).all()
    to_unit = {n.payload["notice"] for n in notices if unit_staff & set(n.payload["user_ids"])}
    assert {"assigned", "disputed"} <= to_unit  # the unit was told, so there was something to leak
    for notice in notices:
        if set(notice.payload["user_ids"]) <= admins:
            continue  # the administrators may know who the reporter is
        body = json.dumps(notice.payload, ensure_ascii=False)
        for form in forms_of(REPORTERS[kind]):
            assert form not in body, f"{form!r} reaches users {notice.payload['user_ids']}: {body}"
