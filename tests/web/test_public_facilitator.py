"""Village facilitator mode: a signed-in facilitator files for a citizen, with the citizen's recorded consent."""

import pytest
from sqlalchemy import func, select

from tests.web.portal import FORM, Portal, receipt_of
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, OutboxMessage, User
from workflow.services.tracking import reporter_for

CITIZEN = {"reporter_name": "Ni Wayan Sari", "reporter_phone": "081299887766", "needs_assistance": "1"}


@pytest.fixture
def portal(app, tmp_path) -> Portal:
    """Return a browser on the facilitator's desk."""
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    return Portal(app)


def sign_in(portal: Portal, username: str) -> None:
    """Put a signed-in staff session in the browser (the staff app's sign-in form does the same)."""
    user = db.session.scalar(select(User).filter_by(username=username))
    with portal.client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def complaints() -> int:
    return db.session.scalar(select(func.count(Complaint.id)))


def test_the_facilitator_files_with_consent_and_hands_over_the_receipt(portal, staff, app):
    app.config["NOTIFICATIONS_ENABLED"] = True
    sign_in(portal, "facilitator")
    page = portal.get("/fasilitator/adukan")
    assert page.status_code == 200 and "Persetujuan warga" in page.text
    assert 'name="website"' not in page.text  # a signed-in facilitator is not screened as a bot
    response = portal.submit("/fasilitator/adukan", "/fasilitator/adukan",
                             FORM | CITIZEN | {"consent": "1", "consent_method": "cap_jempol",
                                               "consent_note": "Disaksikan Kelian Banjar"})
    assert response.status_code == 201, response.text
    assert "Cetak tanda terima ini dan serahkan kepada warga" in response.text
    code, pin = receipt_of(response)
    complaint = db.session.scalar(select(Complaint))
    facilitator = db.session.scalar(select(User).filter_by(username="facilitator"))
    assert (complaint.channel, complaint.entered_by_id, complaint.needs_assistance) == ("walk_in", facilitator.id, True)
    consent = db.session.scalar(select(ComplaintEvent).filter_by(action="consent"))
    assert (consent.details["method"], consent.comment, consent.internal) == (
        "cap_jempol", "Disaksikan Kelian Banjar", True)
    # The citizen tracks with the code and PIN; the code also goes to the citizen's phone (never the PIN).
    assert reporter_for(code, pin)[1].id == complaint.id
    sms = db.session.scalar(select(OutboxMessage).filter_by(kind="sms"))
    assert sms.recipient == "+6281299887766" and code in sms.payload["text"] and pin not in str(sms.payload)


def test_without_the_citizens_consent_nothing_is_filed(portal, staff):
    sign_in(portal, "facilitator")
    response = portal.submit("/fasilitator/adukan", "/fasilitator/adukan", FORM | CITIZEN)
    assert response.status_code == 422
    assert 'id="consent-error"' in response.text and 'id="consent_method-error"' in response.text
    assert complaints() == 0


def test_only_a_signed_in_facilitator_may_file_for_a_citizen(portal, staff):
    anonymous = portal.get("/fasilitator/adukan")
    assert anonymous.status_code in (302, 303) and "/staf/masuk" in anonymous.headers["Location"]
    sign_in(portal, "pupr")
    assert portal.get("/fasilitator/adukan").status_code == 403
    assert complaints() == 0
