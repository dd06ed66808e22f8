"""The self-assessment (Perbup 4/2022 Table 2.2): the regulation's own round, exact means, priorities, the record."""

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from tests.conftest import T0
from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, PermissionDenied
from workflow.models import AssessmentResponse
from workflow.services import people
from workflow.services import self_assessment as sa

# Table 2.2 as published: the consolidated tick of the sixty OPD representatives for each statement.
PUBLISHED_TICKS = {1: 3, 2: 3, 3: 3, 4: 4, 5: 3, 6: 3, 7: 3, 8: 3, 9: 3, 10: 3, 11: 3, 12: 3, 13: 3, 14: 3,
                   15: 4, 16: 4, 17: 3, 18: 3, 19: 3, 20: 3}
# §2.2.2 as published: aspect scores cut off after one decimal, and the priority of each aspect with its reason.
PUBLISHED = {
    "kebijakan": (3.1, 4, "Perbub pengelolaan pengaduan dan SOP belum ditetapkan, buku panduan pengelolaan "
                          "pengaduan belum tersedia"),
    "sdm": (3.0, 1, "Pengelola pengaduan belum mendapatkan pelatihan teknis terkait pengelolaan pengaduan"),
    "data_aplikasi": (3.0, 2, "Data pengelolaan pengaduan belum dijadikan pertimbangan dalam pengambilan kebijakan "
                              "untuk perbaikan layanan"),
    "partisipasi": (3.6, 5, "Pejabat super visi belum melakukan pengelolaan pengaduan secara maksimal"),
    "koordinasi_monev": (3.0, 3, "Pelaksanaan monev dan evaluasi pengelolaan pengaduan belum dijalankan"),
}
OPDS = ["ORG", "INSP", "DINKES", "PUPRKP", "DISKOMINFO", "DISDIKPORA"]


@pytest.fixture
def regulation_round(app, staff):
    """Open the 2022 round and let sixty OPD representatives give the published answers; close it."""
    coordinator = staff["coordinator"].actor
    assessment = sa.open_round(coordinator, T0, "Penilaian mandiri Rencana Aksi 2022–2024", 2022,
                               place="Semarapura", held_on=date(2022, 1, 20))
    for i in range(60):
        user = people.create_user(f"wakil{i:02d}", "unit_admin", "correct-horse-battery", OPDS[i % len(OPDS)])
        sa.submit_response(assessment.id, people.actor_for(user), T0, PUBLISHED_TICKS)
    sa.close_round(assessment.id, coordinator, T0)
    db.session.commit()
    return assessment.id


def test_the_regulations_round_gives_its_published_scores_when_cut_off_after_one_decimal(regulation_round):
    found = {a["code"]: a for a in sa.results(regulation_round)["aspects"]}
    assert {code: a["as_published"] for code, a in found.items()} == {c: p[0] for c, p in PUBLISHED.items()}
    assert sa.results(regulation_round)["respondents"] == 60


def test_the_exact_means_are_kept_as_fractions_and_show_where_the_regulation_cut_them_off(regulation_round):
    found = {a["code"]: a for a in sa.results(regulation_round)["aspects"]}
    assert {code: a["exact"] for code, a in found.items()} == {
        "kebijakan": "19/6", "sdm": "3/1", "data_aplikasi": "3/1", "partisipasi": "11/3", "koordinasi_monev": "3/1"}
    # 19/6 = 3.1667 was printed 3,1 (rounding gives 3,2); 11/3 = 3.6667 was printed 3,6 (rounding gives 3,7).
    assert (found["kebijakan"]["mean"], found["kebijakan"]["rounded"]) == (3.1667, 3.17)
    assert (found["partisipasi"]["mean"], found["partisipasi"]["rounded"]) == (3.6667, 3.67)
    assert {code for code, a in found.items() if a["truncation_differs"]} == {"kebijakan", "partisipasi"}
    # Its formula for data and applications divides five terms although the aspect has three statements;
    # with every answer a 3 both give 3, so the published value stands: the exact mean uses the three.
    assert (found["data_aplikasi"]["statements"], found["data_aplikasi"]["answers"]) == ([12, 13, 14], 180)


def test_three_aspects_tie_at_3_and_the_coordinator_orders_them_as_the_regulation_did(regulation_round, staff):
    results = sa.results(regulation_round)
    assert results["ties"] == [["sdm", "data_aplikasi", "koordinasi_monev"]]
    assert not results["decided"]
    order = sorted(PUBLISHED, key=lambda code: PUBLISHED[code][1])
    sa.set_priorities(regulation_round, staff["coordinator"].actor, T0, order,
                      {code: p[2] for code, p in PUBLISHED.items()})
    db.session.commit()
    decided = sa.results(regulation_round)
    assert [a["code"] for a in decided["order"]] == ["sdm", "data_aplikasi", "koordinasi_monev", "kebijakan",
                                                     "partisipasi"]
    found = {a["code"]: a for a in decided["aspects"]}
    assert {code: a["priority"] for code, a in found.items()} == {c: p[1] for c, p in PUBLISHED.items()}
    assert {code for code, a in found.items() if a["tie_ordered"]} == {"sdm", "data_aplikasi", "koordinasi_monev"}
    assert found["sdm"]["reason"] == PUBLISHED["sdm"][2]
    assert found["sdm"]["decided_at"] == "2026-03-17T10:00:00+08:00"


def test_an_order_against_the_means_is_refused(regulation_round, staff):
    reasons = {code: p[2] for code, p in PUBLISHED.items()}
    wrong = ["kebijakan", "sdm", "data_aplikasi", "koordinasi_monev", "partisipasi"]
    with pytest.raises(InvalidInput) as error:
        sa.set_priorities(regulation_round, staff["coordinator"].actor, T0, wrong, reasons)
    assert "order" in error.value.details and "'kebijakan'" in error.value.details["order"]
    with pytest.raises(InvalidInput) as error:
        sa.set_priorities(regulation_round, staff["coordinator"].actor, T0, wrong[1:], reasons)
    assert "order" in error.value.details
    with pytest.raises(InvalidInput) as error:
        sa.set_priorities(regulation_round, staff["coordinator"].actor, T0,
                          ["sdm", "data_aplikasi", "koordinasi_monev", "kebijakan", "partisipasi"],
                          reasons | {"sdm": "  "})
    assert set(error.value.details) == {"reason_sdm"}


def test_one_response_per_respondent_per_round(app, staff):
    assessment = sa.open_round(staff["admin"].actor, T0, "Putaran 2026", 2026)
    sa.submit_response(assessment.id, staff["pupr"].actor, T0, PUBLISHED_TICKS)
    db.session.commit()
    with pytest.raises(InvalidTransition, match="satu jawaban per orang"):
        sa.submit_response(assessment.id, staff["pupr"].actor, T0, {str(k): 4 for k in PUBLISHED_TICKS})
    db.session.rollback()
    assert db.session.scalar(select(func.count(AssessmentResponse.id))) == 1
    assert sa.has_answered(assessment.id, staff["pupr"].actor.user_id)


def test_incomplete_or_out_of_scale_answers_name_each_statement(app, staff):
    assessment = sa.open_round(staff["admin"].actor, T0, "Putaran 2026", 2026)
    answers = {str(k): v for k, v in PUBLISHED_TICKS.items() if k != 7} | {"3": "5", "21": "2"}
    with pytest.raises(InvalidInput) as error:
        sa.submit_response(assessment.id, staff["pupr"].actor, T0, answers)
    assert {"statement_7", "statement_3", "statements"} <= set(error.value.details)


def test_a_closed_round_takes_no_answers_and_only_organisers_run_it(regulation_round, staff):
    with pytest.raises(InvalidTransition):
        sa.submit_response(regulation_round, staff["pdam"].actor, T0, PUBLISHED_TICKS)
    with pytest.raises(PermissionDenied):
        sa.open_round(staff["pupr"].actor, T0, "Putaran", 2026)
    with pytest.raises(PermissionDenied):
        sa.set_priorities(regulation_round, staff["leader"].actor, T0, [], {})


def test_priorities_wait_for_the_round_to_close(app, staff):
    assessment = sa.open_round(staff["admin"].actor, T0, "Putaran 2026", 2026)
    with pytest.raises(InvalidTransition):
        sa.close_round(assessment.id, staff["admin"].actor, T0)  # nobody answered yet
    sa.submit_response(assessment.id, staff["pupr"].actor, T0, PUBLISHED_TICKS)
    with pytest.raises(InvalidTransition):
        sa.set_priorities(assessment.id, staff["admin"].actor, T0, list(PUBLISHED), {})


def test_the_statement_table_shows_each_score_and_its_mean(regulation_round):
    statements = {s["number"]: s for s in sa.results(regulation_round)["statements"]}
    assert statements[4]["counts"] == {1: 0, 2: 0, 3: 0, 4: 60}
    assert statements[1]["counts"][3] == 60 and statements[1]["mean"] == 3.0
    assert len(statements) == 20


def test_the_record_names_who_answered_and_who_closed(regulation_round):
    record = sa.berita_acara(regulation_round)
    assert (record["opened_by"], record["closed_by"]) == ("coordinator", "coordinator")
    assert sum(u["respondents"] for u in record["units"]) == 60
    assert {u["code"] for u in record["units"]} == set(OPDS)
    assert record["round"]["place"] == "Semarapura" and record["round"]["held_on"] == "2022-01-20"


def test_truncation_cuts_and_never_rounds():
    assert str(sa.truncated(Fraction(19, 6))) == "3.1"
    assert str(sa.truncated(Fraction(11, 3))) == "3.6"
    assert str(sa.truncated(Fraction(3))) == "3.0"
