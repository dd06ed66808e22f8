"""The reporter's satisfaction rating: 1–5, after the unit answered, once per complaint."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound
from workflow.domain.rules import Actor
from workflow.models import ComplaintEvent, Rating, Unit
from workflow.services.ratings import rate, rating_of


@pytest.fixture
def responded(file, act, staff):
    """Return a complaint the PUPR unit has answered."""
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    act(complaint.id, "acknowledge", staff["pupr"].actor, T0 + timedelta(hours=1))
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, T0 + timedelta(hours=2), comment="Sudah ditambal.")
    return complaint


def test_the_reporter_rates_the_handling_once_and_the_unit_is_kept(responded):
    reporter = Actor.reporter(responded.id)
    rating = rate(responded.id, reporter, T0 + timedelta(days=1), "4", "  Cepat, terima kasih.  ")
    db.session.commit()
    assert (rating.score, rating.comment) == (4, "Cepat, terima kasih.")
    assert rating.unit_id == db.session.scalar(select(Unit.id).filter_by(code="PUPRKP"))
    event = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=responded.id, action="rate"))
    assert (event.actor_role, event.details, event.from_state, event.to_state) == ("reporter", {"score": 4}, None, None)
    assert rating_of(responded.id).score == 4

    with pytest.raises(InvalidTransition, match="sudah dinilai"):
        rate(responded.id, reporter, T0 + timedelta(days=2), 1, "Berubah pikiran")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Rating.id))) == 1
    assert rating_of(responded.id).score == 4


def test_a_closed_complaint_can_be_rated_too(responded, act):
    reporter = Actor.reporter(responded.id)
    act(responded.id, "confirm", reporter, T0 + timedelta(days=1))
    assert rate(responded.id, reporter, T0 + timedelta(days=1), 5).score == 5


def test_a_complaint_not_yet_answered_cannot_be_rated(file):
    complaint = file().complaint
    with pytest.raises(InvalidTransition, match="setelah unit menanggapi"):
        rate(complaint.id, Actor.reporter(complaint.id), T0, 3)
    assert rating_of(complaint.id) is None


@pytest.mark.parametrize("score", [0, 6, "lima", "", None, True, 3.5])
def test_a_score_outside_one_to_five_names_the_field(responded, score):
    with pytest.raises(InvalidInput) as error:
        rate(responded.id, Actor.reporter(responded.id), T0, score)
    assert "score" in error.value.details
    assert rating_of(responded.id) is None


def test_an_overlong_comment_is_refused(responded):
    with pytest.raises(InvalidInput) as error:
        rate(responded.id, Actor.reporter(responded.id), T0, 3, "x" * 1001)
    assert "comment" in error.value.details


def test_only_the_complaints_own_reporter_rates(responded, file, staff):
    other = file().complaint
    with pytest.raises(NotFound):
        rate(responded.id, Actor.reporter(other.id), T0, 5)
    with pytest.raises(NotFound):
        rate(responded.id, staff["admin"].actor, T0, 5)
    assert rating_of(responded.id) is None
