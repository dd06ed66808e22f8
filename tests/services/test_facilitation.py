"""A village facilitator files for a citizen, and only with the citizen's recorded consent."""

import pytest
from sqlalchemy import func, select

from tests.conftest import T0, new_complaint
from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.models import Complaint, ComplaintEvent
from workflow.services.facilitation import Consent, file_for_citizen
from workflow.services.queries import complaint_detail
from workflow.services.tracking import reporter_for


def test_the_facilitator_files_with_consent_and_the_citizen_tracks_with_code_and_pin(app, staff):
    facilitator = staff["facilitator"].actor
    filed = file_for_citizen(new_complaint(channel="walk_in", needs_assistance=True),
                             Consent(True, "cap_jempol", "Disaksikan Kelian Banjar"), facilitator, T0)
    db.session.commit()
    complaint = filed.complaint
    assert (complaint.channel, complaint.entered_by_id, complaint.needs_assistance) == (
        "walk_in", facilitator.user_id, True)
    consent = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=complaint.id, action="consent"))
    assert (consent.actor_id, consent.actor_role, consent.internal) == (facilitator.user_id, "facilitator", True)
    assert consent.details == {"given": True, "method": "cap_jempol"}
    assert consent.comment == "Disaksikan Kelian Banjar"
    # The citizen holds the code and PIN; the facilitator follows the complaint they entered.
    assert reporter_for(complaint.tracking_code, filed.pin, T0)[1].id == complaint.id
    assert complaint_detail(complaint.id, facilitator, T0)["tracking_code"] == complaint.tracking_code


@pytest.mark.parametrize(("consent", "field"), [
    (Consent(False, "lisan"), "consent"),
    (Consent(True, None), "consent_method"),
    (Consent(True, "telepati"), "consent_method"),
    (Consent(True, "lisan", "x" * 301), "consent_note"),
])
def test_without_recorded_consent_nothing_is_filed(app, staff, consent, field):
    with pytest.raises(InvalidInput) as error:
        file_for_citizen(new_complaint(channel="walk_in"), consent, staff["facilitator"].actor, T0)
    assert field in error.value.details
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def test_only_a_facilitator_files_on_a_citizens_behalf(app, staff):
    with pytest.raises(PermissionDenied):
        file_for_citizen(new_complaint(channel="walk_in"), Consent(True, "lisan"), staff["admin"].actor, T0)
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
