"""The escalation inbox shows each person what is at risk, breached, stuck or bounced, in their reach."""

import pytest

from tests.conftest import T0, VERIFY
from tests.services.test_lifecycle import wita
from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.services.inbox import escalation_inbox
from workflow.services.sla import sweep


def codes(actor, kind, now) -> list[str]:
    return [item["tracking_code"] for item in escalation_inbox(actor, kind, now)["items"]]


def test_at_risk_then_breached_for_the_regency_and_the_holding_unit_only(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)  # response due 5 working days on: Tue 31 Mar
    sweep(wita(2026, 3, 30, 9))
    db.session.commit()
    admin, pupr, pdam = staff["admin"].actor, staff["penghubung_pupr"].actor, staff["penghubung_pdam"].actor
    assert codes(admin, "at_risk", wita(2026, 3, 30, 9)) == [complaint.tracking_code]
    assert codes(pupr, "at_risk", wita(2026, 3, 30, 9)) == [complaint.tracking_code]
    assert codes(pdam, "at_risk", wita(2026, 3, 30, 9)) == []
    assert codes(admin, "breached", wita(2026, 3, 30, 9)) == []
    late = wita(2026, 4, 6, 9)
    breached = escalation_inbox(pupr, "breached", late)["items"]
    assert [i["clock"] for i in breached] == ["response"]
    assert breached[0]["due_at"] == "2026-03-31T23:59:59+08:00"
    assert breached[0]["working_days"] == 3  # Wed 1, Thu 2 and Mon 6 Apr (Fri 3 Apr is Good Friday)
    assert codes(admin, "at_risk", late) == []


def test_a_complaint_nobody_touches_is_stuck(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor, T0)
    assert codes(staff["coordinator"].actor, "stuck", wita(2026, 3, 27)) == []
    stuck = escalation_inbox(staff["coordinator"].actor, "stuck", wita(2026, 4, 20))["items"]
    assert [i["tracking_code"] for i in stuck] == [complaint.tracking_code]
    assert stuck[0]["working_days"] >= 10


def test_the_sweeps_escalation_leaves_a_complaint_nobody_touches_in_the_stuck_queue(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)  # response due Tue 31 Mar, then breached
    for day in (wita(2026, 4, 1, 9), wita(2026, 4, 17, 9)):
        sweep(day)
        db.session.commit()
    db.session.refresh(complaint)
    assert complaint.escalation_level >= 1

    stuck = escalation_inbox(staff["coordinator"].actor, "stuck", wita(2026, 4, 20))["items"]

    assert [i["tracking_code"] for i in stuck] == [complaint.tracking_code]
    assert stuck[0]["reason"].endswith("2026-03-17T10:00:00+08:00")  # the verification, its last action


def test_a_complaint_returned_too_often_is_flagged(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    coordinator = staff["coordinator"].actor
    act(complaint.id, "return", staff["penghubung_pupr"].actor, comment="Bukan kewenangan kami.")
    act(complaint.id, "redispose", staff["admin"].actor, unit="PDAM")
    act(complaint.id, "return", staff["penghubung_pdam"].actor, comment="Bukan kewenangan kami.")
    assert codes(coordinator, "bounced", T0) == []  # two returns: the SOP allows up to three
    act(complaint.id, "redispose", staff["admin"].actor, unit="PUPRKP")
    act(complaint.id, "return", staff["penghubung_pupr"].actor, comment="Tetap bukan kewenangan kami.")
    flagged = escalation_inbox(coordinator, "bounced", T0)["items"]
    assert [i["tracking_code"] for i in flagged] == [complaint.tracking_code]
    assert "3" in flagged[0]["reason"]


def test_the_inbox_is_for_staff_and_names_its_kinds(app, staff):
    with pytest.raises(PermissionDenied):
        escalation_inbox(staff["facilitator"].actor, "breached", T0)
    with pytest.raises(InvalidInput):
        escalation_inbox(staff["coordinator"].actor, "late", T0)
