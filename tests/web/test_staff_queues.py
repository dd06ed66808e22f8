"""Queues per role: what lands in each, in which order, with which deadline mark."""

from datetime import timedelta

import pytest

from tests.conftest import T0, VERIFY
from workflow.domain.errors import InvalidInput, NotFound
from workflow.services import desk


def codes(actor, queue: str, **refinements) -> list[str]:
    """Return the tracking codes of a queue's first page, in order."""
    page = desk.queue_page(actor, queue, desk.queue_filter(actor, queue, **refinements), T0)
    return [item["tracking_code"] for item in page["items"]]


def test_each_role_has_its_queues_and_counts(staff, file, act):
    new, sent = file(), file(title="Air mati", category="air-pdam")
    act(sent.complaint.id, "verify", staff["admin"].actor, **VERIFY | {"unit": "PDAM"})
    assert desk.queues_for(staff["admin"].actor)[:3] == ("incoming", "returned", "pending_info")
    assert desk.queue_counts(staff["admin"].actor, T0)["incoming"] == 1
    assert desk.queue_counts(staff["pdam"].actor, T0)["dispositioned"] == 1
    assert desk.queue_counts(staff["pupr"].actor, T0)["dispositioned"] == 0
    assert set(desk.queues_for(staff["penghubung_pdam"].actor)) >= {"at_risk", "breached", "stuck",
                                                                      "awaiting_approval"}
    assert desk.queues_for(staff["coordinator"].actor)[0] == "escalated"
    assert desk.queues_for(staff["inspector"].actor)[0] == "supervision"
    assert codes(staff["admin"].actor, "incoming") == [new.complaint.tracking_code]


def test_queues_sort_by_the_nearest_deadline(staff, file):
    later, sooner = file(at=T0 - timedelta(days=1)), file(at=T0 - timedelta(days=6))
    assert codes(staff["admin"].actor, "incoming") == [sooner.complaint.tracking_code, later.complaint.tracking_code]


def test_a_complaint_close_to_its_deadline_is_due_soon_and_one_past_it_is_breached(staff, file, act):
    close = file(at=T0 - timedelta(days=6))
    act(close.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=5), **VERIFY)
    fresh = file(at=T0)
    act(fresh.complaint.id, "verify", staff["admin"].actor, at=T0, **VERIFY)
    late = file(at=T0 - timedelta(days=20))
    act(late.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=19), **VERIFY)
    unit = staff["pupr"].actor
    due_soon = codes(unit, "due_soon")
    assert close.complaint.tracking_code in due_soon and fresh.complaint.tracking_code not in due_soon
    assert codes(staff["penghubung_pupr"].actor, "breached") == [late.complaint.tracking_code]
    page = desk.queue_page(unit, "dispositioned", desk.queue_filter(unit, "dispositioned"), T0)
    marks = {item["tracking_code"]: item["mark"]["mark"] for item in page["items"]}
    assert marks == {close.complaint.tracking_code: "at_risk", fresh.complaint.tracking_code: "on_time",
                     late.complaint.tracking_code: "breached"}


def test_nothing_done_for_ten_working_days_is_stuck(staff, file, act):
    stuck = file(at=T0 - timedelta(days=30))
    act(stuck.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=29), **VERIFY)
    moving = file(at=T0 - timedelta(days=30))
    act(moving.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=2), **VERIFY)
    assert codes(staff["penghubung_pupr"].actor, "stuck") == [stuck.complaint.tracking_code]


def test_the_inspector_sees_supervisory_complaints_first(staff, file, act):
    ordinary, supervisory = file(), file(title="Pungutan liar di puskesmas")
    act(ordinary.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(supervisory.complaint.id, "verify", staff["admin"].actor,
        **VERIFY | {"class": "pengaduan_berkadar_pengawasan"})
    assert codes(staff["inspector"].actor, "supervision")[0] == supervisory.complaint.tracking_code


def test_the_coordinator_sees_escalated_complaints(staff, file, act):
    quiet, pushed = file(), file(title="Lampu jalan mati", category="lampu-jalan")
    for filed in (quiet, pushed):
        act(filed.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(pushed.complaint.id, "escalate", staff["penghubung_pupr"].actor, comment="Tidak ada kemajuan.")
    assert codes(staff["coordinator"].actor, "escalated") == [pushed.complaint.tracking_code]


def test_refinements_stay_inside_the_queue(staff, file):
    file()
    with pytest.raises(InvalidInput) as outside:
        desk.queue_filter(staff["admin"].actor, "incoming", states=("closed",))
    assert "state" in outside.value.details
    with pytest.raises(NotFound):
        desk.queue_filter(staff["admin"].actor, "awaiting_approval")
    assert codes(staff["admin"].actor, "all", class_code=None, category="sampah") == []


def test_bulk_acknowledge_refuses_other_actions(staff):
    with pytest.raises(InvalidInput):
        desk.act_on_many([1], "archive", staff["pupr"].actor, T0)
    with pytest.raises(InvalidInput):
        desk.act_on_many([], "acknowledge", staff["pupr"].actor, T0)
