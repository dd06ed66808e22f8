"""Routing on a real database: suggestions at verification and after returns, bounce alerts,
automatic disposition by certain rules, and the routing-quality report."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sop import sop_path
from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor
from workflow.models import Complaint, ComplaintEvent
from workflow.services.actions import take_action
from workflow.services.queries import reporter_view
from workflow.services.routing import routing_quality, suggest_routing
from workflow.services.sop import load_sop_version

PJU = {"title": "Lampu PJU mati", "description": "Lampu PJU di depan balai banjar mati sejak seminggu.",
       "category": "lampu-jalan", "location": {"desa": "Tojan"}}


def events(complaint_id: int, action: str) -> list[ComplaintEvent]:
    return list(db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=complaint_id, action=action)
                                   .order_by(ComplaintEvent.id)))


def bounce(act, staff, complaint_id: int, handler: str, next_unit: str | None, at) -> None:
    """Let ``handler`` return the complaint, then redispose it to ``next_unit`` (if any)."""
    act(complaint_id, "return", staff[handler].actor, at, comment=f"Bukan wewenang {handler}.")
    if next_unit:
        act(complaint_id, "redispose", staff["admin"].actor, at + timedelta(minutes=5), unit=next_unit)


@pytest.fixture
def auto_dispose_sop(app, tmp_path):
    """Load a new SOP version that lets certain rules disposition by themselves."""
    folder = Path(shutil.copytree(sop_path("klungkung"), tmp_path / "klungkung"))
    text = (folder / "sop.toml").read_text(encoding="utf-8")
    text = text.replace('version = "2026.1"', 'version = "2026.2"')
    text = text.replace("auto_dispose_certain = false", "auto_dispose_certain = true")
    (folder / "sop.toml").write_text(text, encoding="utf-8")
    load_sop_version(str(folder))
    db.session.commit()


# --- suggestions ------------------------------------------------------------------------------------

def test_the_administrator_gets_ranked_suggestions_with_reasons_at_verification(file, staff):
    complaint = file().complaint
    suggestions = suggest_routing(complaint.id, staff["admin"].actor, T0)
    best = suggestions[0]
    assert (best.target, best.action) == ("PUPRKP", "verify")
    assert "Unit bawaan kategori 'Jalan rusak / berlubang' / default unit of the category" in best.reasons
    assert any(s.target == "KEC-KLUNGKUNG" and "desa Gelgel" in s.reason for s in suggestions)
    assert [s.confidence for s in suggestions] == sorted((s.confidence for s in suggestions), reverse=True)


def test_after_a_return_the_suggestions_leave_out_the_units_that_returned_it(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    act(complaint.id, "return", staff["pupr"].actor, T0 + timedelta(hours=1),
        comment="Jalan ini jalan desa, bukan jalan kabupaten.")
    suggestions = suggest_routing(complaint.id, staff["admin"].actor, T0 + timedelta(hours=2))
    assert "PUPRKP" not in {s.target for s in suggestions}
    assert {s.action for s in suggestions} == {"redispose"}
    returned = events(complaint.id, "return")[0]
    assert (returned.comment, returned.details["from_unit"]) == ("Jalan ini jalan desa, bukan jalan kabupaten.",
                                                                 "PUPRKP")


def test_a_complaint_held_by_a_unit_needs_no_routing(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    assert suggest_routing(complaint.id, staff["admin"].actor, T0) == []
    assert suggest_routing(complaint.id, staff["pupr"].actor, T0) == []


def test_suggestions_are_for_staff_who_can_see_the_complaint(file, staff):
    complaint = file().complaint
    with pytest.raises(NotFound):
        suggest_routing(complaint.id, staff["pupr"].actor, T0)
    with pytest.raises(PermissionDenied):
        suggest_routing(complaint.id, Actor.reporter(complaint.id), T0)
    with pytest.raises(NotFound):
        suggest_routing(complaint.id + 99, staff["admin"].actor, T0)


# --- bounces ----------------------------------------------------------------------------------------

def test_the_coordinator_is_alerted_once_a_complaint_has_bounced_max_bounces_times(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    bounce(act, staff, complaint.id, "pupr", "PDAM", T0 + timedelta(hours=1))
    bounce(act, staff, complaint.id, "pdam", "DINKES", T0 + timedelta(hours=2))
    assert events(complaint.id, "bounce_alert") == []  # two bounces: the SOP allows three

    bounce(act, staff, complaint.id, "dinkes", None, T0 + timedelta(hours=3))

    [alert] = events(complaint.id, "bounce_alert")
    assert (alert.actor_role, alert.internal, alert.at) == ("system", True, T0 + timedelta(hours=3))
    assert alert.details == {"bounce_count": 3, "max_bounces": 3, "returned_by": ["PUPRKP", "PDAM", "DINKES"],
                             "last_reason": "Bukan wewenang dinkes.", "alert": "coordinator"}
    assert "3 kali dikembalikan" in alert.comment
    reporter = reporter_view(db.session.get(Complaint, complaint.id), Actor.reporter(complaint.id), T0)
    assert "bounce_alert" not in {e["action"] for e in reporter["events"]}


def test_every_further_bounce_alerts_again(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    for i, (handler, unit) in enumerate([("pupr", "PDAM"), ("pdam", "DINKES"), ("dinkes", "PUPRKP"),
                                         ("pupr", None)]):
        bounce(act, staff, complaint.id, handler, unit, T0 + timedelta(hours=i + 1))
    assert [a.details["bounce_count"] for a in events(complaint.id, "bounce_alert")] == [3, 4]


def test_the_alert_is_written_in_the_same_transaction_as_the_return(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    bounce(act, staff, complaint.id, "pupr", "PDAM", T0 + timedelta(hours=1))
    bounce(act, staff, complaint.id, "pdam", "DINKES", T0 + timedelta(hours=2))

    take_action(complaint.id, "return", staff["dinkes"].actor, T0 + timedelta(hours=3), {"comment": "Bukan."})
    assert len(events(complaint.id, "bounce_alert")) == 1
    db.session.rollback()

    assert events(complaint.id, "bounce_alert") == []
    assert len(events(complaint.id, "return")) == 2


# --- automatic disposition ---------------------------------------------------------------------------

def test_without_the_sop_switch_nothing_dispositions_itself(file):
    complaint = file(**PJU).complaint
    assert complaint.state == "received"


def test_a_certain_rule_dispositions_a_new_complaint_where_the_sop_allows_it(auto_dispose_sop, file):
    filed = file(anonymous=True, **PJU)
    complaint = db.session.get(Complaint, filed.complaint.id)
    assert (complaint.state, complaint.unit.code, complaint.class_code) == (
        "dispositioned", "DISHUB", "pengaduan_tidak_berkadar_pengawasan")
    # The reporter's own choice stays the confidentiality decision.
    assert (complaint.anonymous, complaint.confidential, complaint.confidentiality_confirmed) == (True, False, True)
    [verified] = events(complaint.id, "verify")
    assert (verified.actor_role, verified.actor_id, verified.internal) == ("system", None, False)
    assert verified.details["unit"] == "DISHUB" and verified.details["anonymous"] is True
    assert verified.comment.startswith("Didisposisikan otomatis ke Dinas Perhubungan")
    assert {c.kind: c.status for c in complaint.clocks}["verification"] == "met"


@pytest.mark.parametrize("overrides", [
    # A matter outside the regency matches too.
    {"description": "Lampu PJU di jalan nasional dekat Kusamba mati."},
    # A misconduct complaint always waits for the administrator.
    {"title": "Pungli saat mengurus KTP", "description": "Petugas minta uang untuk KTP-el.",
     "category": "perilaku-asn-pungli"},
    # No certain rule.
    {"title": "Jalan berlubang", "description": "Jalan berlubang di Tojan.", "category": "jalan-rusak"},
], ids=["outside_matter", "supervisory_class", "no_certain_rule"])
def test_doubtful_complaints_wait_for_the_administrator(auto_dispose_sop, file, overrides):
    complaint = file(**(PJU | overrides)).complaint
    assert complaint.state == "received"
    assert events(complaint.id, "verify") == []


# --- routing quality --------------------------------------------------------------------------------

def test_routing_quality_is_the_share_of_dispositions_never_returned_per_category(file, act, staff):
    admin = staff["admin"].actor
    early = file(at=T0 - timedelta(days=40)).complaint
    act(early.id, "verify", admin, T0 - timedelta(days=40), **VERIFY)  # before the period
    kept = file().complaint
    act(kept.id, "verify", admin, T0, **VERIFY)
    bounced = file().complaint
    act(bounced.id, "verify", admin, T0, **VERIFY)
    bounce(act, staff, bounced.id, "pupr", "PDAM", T0 + timedelta(hours=1))
    water = file(category="air-pdam", title="Air PDAM mati").complaint
    act(water.id, "verify", admin, T0, **(VERIFY | {"unit": "PDAM"}))

    report = routing_quality(T0 + timedelta(days=1), T0 - timedelta(days=7), staff["coordinator"].actor)

    categories = {line["code"]: line for line in report["categories"]}
    assert categories["jalan-rusak"] == {"code": "jalan-rusak", "name": "Jalan rusak / berlubang",
                                         "dispositions": 3, "returned": 1, "never_returned": 2,
                                         "share_never_returned": 0.667}
    assert categories["air-pdam"]["share_never_returned"] == 1.0
    units = {line["code"]: (line["dispositions"], line["returned"]) for line in report["units"]}
    assert units == {"PUPRKP": (2, 1), "PDAM": (2, 0)}
    assert (report["total"]["dispositions"], report["total"]["returned"]) == (4, 1)
    assert report["since"] == "2026-03-10T10:00:00+08:00"


def test_a_return_after_the_period_does_not_count_against_it(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    act(complaint.id, "return", staff["pupr"].actor, T0 + timedelta(days=3), comment="Bukan wewenang.")
    report = routing_quality(T0 + timedelta(days=1), T0 - timedelta(days=1))
    assert report["categories"][0]["returned"] == 0


def test_routing_quality_is_for_regency_roles_and_a_real_period(app, staff):
    with pytest.raises(PermissionDenied):
        routing_quality(T0, T0 - timedelta(days=30), staff["pupr"].actor)
    with pytest.raises(InvalidInput) as error:
        routing_quality(T0, T0 + timedelta(days=1), staff["leader"].actor)
    assert "since" in error.value.details
    empty = routing_quality(T0, T0 - timedelta(days=30), staff["leader"].actor)
    assert (empty["total"], empty["categories"], empty["units"]) == (None, [], [])
