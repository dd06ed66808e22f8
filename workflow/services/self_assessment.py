"""The self-assessment of complaint handling (Perbup 4/2022 Table 2.2) and its record (berita acara).

A round is opened for a year, pinned to the SOP version whose statements it asks. Respondents from
the OPDs answer the twenty statements once each (1 lowest … 4 highest). When the round is closed, each
aspect's score is the exact mean of its answers (kept as a fraction: 19/6, never 3.1), and the
aspects are ranked as priorities, lowest mean first. Where means tie, a person (the coordinator)
decides the order, and the decision, its author and each aspect's reason are recorded.

The regulation printed its means cut off after one decimal (19/6 shown as 3,1; 11/3 as 3,6): the
results show the exact mean, the value as the regulation would print it, and flag where that
truncation differs from rounding (domain.md §8.3).
"""

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from sop.schema import SelfAssessment
from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES, Role
from workflow.models import (
    AssessmentAnswer,
    AssessmentPriority,
    AssessmentResponse,
    AssessmentRound,
    Unit,
    User,
)
from workflow.services.sop import active_sop, sop_of

# Bagian Organisasi runs the assessment for the tim koordinasi.
ORGANISERS = frozenset({Role.coordinator, Role.admin_instansi})
MAX_REASON = 2000


def open_round(actor: Actor, now: datetime, title: str, year: int, place: str = "",
               held_on: date | None = None) -> AssessmentRound:
    """Open a round of the self-assessment for ``year``, asking the statements of the active SOP."""
    _organiser(actor)
    version, sop = active_sop()
    problems = {}
    title, place = (title or "").strip(), (place or "").strip()
    if not 1 <= len(title) <= 200:
        problems["title"] = "1–200 karakter / characters"
    if not 2000 <= year <= 2100:
        problems["year"] = "2000–2100"
    if len(place) > 200:
        problems["place"] = "paling banyak 200 karakter / at most 200 characters"
    if not sop.self_assessment.aspects:
        problems["sop"] = "SOP aktif tidak memuat self_assessment.toml / the active SOP has no self-assessment"
    if problems:
        raise InvalidInput("Putaran penilaian tidak dapat dibuka. / The round cannot be opened.", problems)
    assessment = AssessmentRound(title=title, year=year, sop_version_id=version.id, status="open", place=place,
                                 held_on=held_on, notes="", opened_by_id=actor.user_id, opened_at=now)
    db.session.add(assessment)
    db.session.flush()
    return assessment


def submit_response(round_id: int, actor: Actor, now: datetime, scores: Mapping) -> AssessmentResponse:
    """Record one respondent's answers to every statement (once per respondent per round)."""
    assessment = _round(round_id)
    if actor.role not in STAFF_ROLES or actor.user_id is None:
        raise PermissionDenied("Hanya petugas yang dapat mengisi penilaian mandiri. / Only staff may answer.")
    if assessment.status != "open":
        raise InvalidTransition("Putaran ini sudah ditutup. / This round is closed.", {"round": round_id})
    matrix = statements_of(assessment)
    numbers = [s.number for _, s in matrix.statements()]
    problems, answers = {}, {}
    for number in numbers:
        raw = scores.get(number, scores.get(str(number)))
        value = _score(raw)
        if value is None:
            problems[f"statement_{number}"] = (f"pilih {matrix.scale_min}–{matrix.scale_max} / choose "
                                               f"{matrix.scale_min}–{matrix.scale_max}")
        else:
            answers[number] = value
    unknown = [str(key) for key in scores if str(key) not in {str(n) for n in numbers}]
    if unknown:
        problems["statements"] = f"pernyataan tidak dikenal / unknown statements: {', '.join(unknown)}"
    if problems:
        raise InvalidInput("Jawaban belum lengkap atau tidak valid. / The answers are incomplete or invalid.", problems)
    user = db.session.get(User, actor.user_id)
    response = AssessmentResponse(round_id=assessment.id, user_id=actor.user_id, unit_id=user.unit_id,
                                  submitted_at=now,
                                  answers=[AssessmentAnswer(statement=n, score=v) for n, v in answers.items()])
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        raise InvalidTransition("Anda sudah mengisi penilaian pada putaran ini; satu jawaban per orang. / You have "
                                "already answered in this round; one response per person.",
                                {"round": round_id}) from None
    return response


def close_round(round_id: int, actor: Actor, now: datetime, notes: str = "") -> AssessmentRound:
    """Close a round: no more answers; its means are final and its priorities can be set."""
    _organiser(actor)
    assessment = _round(round_id)
    if assessment.status != "open":
        raise InvalidTransition("Putaran ini sudah ditutup. / This round is already closed.", {"round": round_id})
    if not _respondents(assessment.id):
        raise InvalidTransition("Belum ada jawaban; putaran belum dapat ditutup. / No answers yet; the round cannot "
                                "be closed.", {"round": round_id})
    assessment.status, assessment.closed_at, assessment.closed_by_id = "closed", now, actor.user_id
    if notes and notes.strip():
        assessment.notes = notes.strip()[:4000]
    db.session.flush()
    return assessment


def set_priorities(round_id: int, actor: Actor, now: datetime, order: list[str],
                   reasons: Mapping[str, str]) -> list[AssessmentPriority]:
    """Record the priority order (lowest mean first; a person orders ties) and a reason for every aspect."""
    _organiser(actor)
    assessment = _round(round_id)
    if assessment.status != "closed":
        raise InvalidTransition("Tutup putaran dulu; prioritas ditetapkan dari nilai akhir. / Close the round first: "
                                "priorities follow the final means.", {"round": round_id})
    means = {aspect["code"]: aspect["fraction"] for aspect in _aspects(assessment)}
    problems = {}
    if sorted(order) != sorted(means):
        problems["order"] = f"sebutkan setiap aspek tepat sekali / name every aspect once: {', '.join(means)}"
    else:
        for earlier, later in pairwise(order):
            if means[earlier] > means[later]:
                problems["order"] = (f"'{earlier}' ({_decimal(means[earlier], 4)}) tidak boleh sebelum '{later}' "
                                     f"({_decimal(means[later], 4)}): nilai terendah lebih dulu / the lowest mean "
                                     f"comes first; only equal means may be ordered by hand")
                break
    for code in means:
        reason = (reasons.get(code) or "").strip()
        if not reason:
            problems[f"reason_{code}"] = "tulis alasannya / give the reason"
        elif len(reason) > MAX_REASON:
            problems[f"reason_{code}"] = f"paling banyak {MAX_REASON} karakter / at most {MAX_REASON} characters"
    if problems:
        raise InvalidInput("Prioritas tidak dapat disimpan. / The priorities cannot be saved.", problems)
    counts = Counter(means.values())
    db.session.execute(AssessmentPriority.__table__.delete().where(AssessmentPriority.round_id == assessment.id))
    priorities = [AssessmentPriority(round_id=assessment.id, aspect=code, priority=rank, reason=reasons[code].strip(),
                                     tie_ordered=counts[means[code]] > 1, decided_by_id=actor.user_id,
                                     decided_at=now)
                  for rank, code in enumerate(order, start=1)]
    db.session.add_all(priorities)
    db.session.flush()
    return priorities


def results(round_id: int) -> dict:
    """Return a round's means (exact, as printed by the regulation, rounded), ties and priorities."""
    assessment = _round(round_id)
    aspects = _aspects(assessment)
    decided = {p.aspect: p for p in db.session.scalars(
        select(AssessmentPriority).where(AssessmentPriority.round_id == assessment.id))}
    deciders = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_({p.decided_by_id for p in decided.values()}))).all())
    ties = defaultdict(list)
    for aspect in aspects:
        ties[aspect["fraction"]].append(aspect["code"])
    tz = ZoneInfo(sop_of(assessment.sop_version).sop.timezone)
    for aspect in aspects:
        priority = decided.get(aspect["code"])
        aspect["tied_with"] = [code for code in ties[aspect["fraction"]] if code != aspect["code"]]
        aspect["priority"] = priority.priority if priority else None
        aspect["reason"] = priority.reason if priority else None
        aspect["tie_ordered"] = priority.tie_ordered if priority else False
        aspect["decided_by"] = deciders.get(priority.decided_by_id) if priority else None
        aspect["decided_at"] = priority.decided_at.astimezone(tz).isoformat() if priority else None
    # Until a person decides, ties stay in the SOP's order and are marked undecided.
    suggested = sorted(aspects, key=lambda a: a["fraction"])
    ordered = sorted(aspects, key=lambda a: a["priority"]) if decided else suggested
    return {
        "round": round_view(assessment, tz),
        "respondents": len(_respondents(assessment.id)),
        "units": _units(assessment.id),
        "statements": _statements(assessment),
        "aspects": [_public(a) for a in aspects],
        "order": [_public(a) for a in ordered],
        "decided": bool(decided),
        "ties": [codes for codes in ties.values() if len(codes) > 1],
    }


def berita_acara(round_id: int) -> dict:
    """Return the record of the assessment (berita acara): the round, who answered, the results and priorities."""
    found = results(round_id)
    assessment = _round(round_id)
    tz = ZoneInfo(sop_of(assessment.sop_version).sop.timezone)
    opener = db.session.get(User, assessment.opened_by_id) if assessment.opened_by_id else None
    closer = db.session.get(User, assessment.closed_by_id) if assessment.closed_by_id else None
    return found | {"opened_by": _name(opener), "closed_by": _name(closer),
                    "closed_at": assessment.closed_at.astimezone(tz).isoformat() if assessment.closed_at else None}


def list_rounds() -> list[dict]:
    """Return every round, newest first, with its number of respondents."""
    counts = dict(db.session.execute(select(AssessmentResponse.round_id, func.count())
                                     .group_by(AssessmentResponse.round_id)).all())
    rounds = db.session.scalars(select(AssessmentRound).options(selectinload(AssessmentRound.sop_version))
                                .order_by(AssessmentRound.id.desc())).all()
    return [round_view(r, ZoneInfo(sop_of(r.sop_version).sop.timezone)) | {"respondents": counts.get(r.id, 0)}
            for r in rounds]


def has_answered(round_id: int, user_id: int | None) -> bool:
    """Return whether ``user_id`` already answered in the round."""
    return user_id is not None and db.session.scalar(select(AssessmentResponse.id).filter_by(
        round_id=round_id, user_id=user_id)) is not None


def statements_of(assessment: AssessmentRound) -> SelfAssessment:
    """Return the matrix (aspects and statements) a round asks: its pinned SOP version's."""
    return sop_of(assessment.sop_version).self_assessment


def round_view(assessment: AssessmentRound, tz: ZoneInfo) -> dict:
    """Shape a round for screens and files."""
    return {"id": assessment.id, "title": assessment.title, "year": assessment.year, "status": assessment.status,
            "place": assessment.place, "held_on": assessment.held_on.isoformat() if assessment.held_on else None,
            "notes": assessment.notes, "opened_at": assessment.opened_at.astimezone(tz).isoformat(),
            "sop_version": assessment.sop_version.version}


def truncated(value: Fraction, decimals: int = 1) -> Decimal:
    """Return ``value`` cut off after ``decimals`` decimals, as the regulation printed its means (19/6 → 3.1)."""
    return _decimal(value, decimals, ROUND_DOWN)


def _decimal(value: Fraction, decimals: int, rounding=ROUND_HALF_UP) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


def _aspects(assessment: AssessmentRound) -> list[dict]:
    matrix = statements_of(assessment)
    sums = dict.fromkeys((s.number for _, s in matrix.statements()), (0, 0))
    for statement, total, count in db.session.execute(
            select(AssessmentAnswer.statement, func.sum(AssessmentAnswer.score), func.count())
            .join(AssessmentResponse, AssessmentResponse.id == AssessmentAnswer.response_id)
            .where(AssessmentResponse.round_id == assessment.id).group_by(AssessmentAnswer.statement)):
        sums[statement] = (int(total), int(count))
    aspects = []
    for aspect in matrix.aspects:
        total = sum(sums[s.number][0] for s in aspect.statements)
        count = sum(sums[s.number][1] for s in aspect.statements)
        mean = Fraction(total, count) if count else None
        aspects.append({
            "code": aspect.code, "name": aspect.name, "name_en": aspect.name_en,
            "statements": [s.number for s in aspect.statements], "total": total, "answers": count,
            "fraction": mean if mean is not None else Fraction(0),
            "exact": f"{mean.numerator}/{mean.denominator}" if mean is not None else None,
            "mean": float(_decimal(mean, 4)) if mean is not None else None,
            "rounded": float(_decimal(mean, 2)) if mean is not None else None,
            "as_published": float(truncated(mean, 1)) if mean is not None else None,
            # Where cutting off (as the regulation did) and rounding to one decimal disagree: 19/6 → 3,1 vs 3,2.
            "truncation_differs": mean is not None and truncated(mean, 1) != _decimal(mean, 1),
        })
    return aspects


def _statements(assessment: AssessmentRound) -> list[dict]:
    matrix = statements_of(assessment)
    counts: dict[int, Counter] = defaultdict(Counter)
    for statement, score, n in db.session.execute(
            select(AssessmentAnswer.statement, AssessmentAnswer.score, func.count())
            .join(AssessmentResponse, AssessmentResponse.id == AssessmentAnswer.response_id)
            .where(AssessmentResponse.round_id == assessment.id)
            .group_by(AssessmentAnswer.statement, AssessmentAnswer.score)):
        counts[statement][score] = int(n)
    rows = []
    for aspect, statement in matrix.statements():
        spread = counts[statement.number]
        answered = sum(spread.values())
        mean = Fraction(sum(score * n for score, n in spread.items()), answered) if answered else None
        rows.append({"number": statement.number, "aspect": aspect.code, "text": statement.text,
                     "text_en": statement.text_en,
                     "counts": {score: spread.get(score, 0) for score in range(matrix.scale_min, matrix.scale_max + 1)},
                     "mean": float(_decimal(mean, 4)) if mean is not None else None})
    return rows


def _respondents(round_id: int) -> list[int]:
    return list(db.session.scalars(select(AssessmentResponse.user_id).where(AssessmentResponse.round_id == round_id)))


def _units(round_id: int) -> list[dict]:
    rows = db.session.execute(select(Unit.code, Unit.name, func.count())
                              .join(AssessmentResponse, AssessmentResponse.unit_id == Unit.id)
                              .where(AssessmentResponse.round_id == round_id)
                              .group_by(Unit.code, Unit.name).order_by(Unit.code)).all()
    return [{"code": code, "name": name, "respondents": n} for code, name, n in rows]


def _public(aspect: dict) -> dict:
    return {key: value for key, value in aspect.items() if key != "fraction"}


def _round(round_id: int) -> AssessmentRound:
    assessment = db.session.get(AssessmentRound, round_id)
    if assessment is None:
        raise NotFound("Putaran penilaian tidak ditemukan. / Assessment round not found.", {"round": round_id})
    return assessment


def _organiser(actor: Actor) -> None:
    if actor.role not in ORGANISERS:
        raise PermissionDenied("Penilaian mandiri dikelola oleh tim koordinasi atau Bagian Organisasi. / The "
                               "self-assessment is run by the coordination team or Bagian Organisasi.")


def _score(raw) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        raw = int(raw.strip()) if raw.strip().isdecimal() else None
    return raw if isinstance(raw, int) and 1 <= raw <= 4 else None


def _name(user: User | None) -> str | None:
    return (user.full_name or user.username) if user else None
