"""Routing: where a complaint should go, by the SOP's rules (routing.toml), and how well routing works.

:func:`rank` is pure: it reads an SOP and a :class:`Case` and returns ranked suggestions
(:class:`Suggestion`), each with its reasons and a confidence. It combines the category's default
unit, keyword rules over the title and description, the place (desa → kecamatan → the camat's unit
or the area's Puskesmas) and the table of matters outside the regency (→ ``transfer_out``). Units
that already returned the complaint ("bukan wewenang") are left out. Signals for the same target add up as independent
evidence: 1 − (1 − a)(1 − b)…

Where the SOP allows it (``sop.auto_dispose_certain``), :func:`dispose_if_certain` lets the system
verify a new complaint whose best suggestion comes from a rule the SOP marks certain; intake calls it
right after filing. A unit's returns are counted; from ``sop.max_bounces`` on, every return also
records an internal ``bounce_alert`` event for the coordinator (notifications read it later).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sop import Sop
from sop.schema import Kecamatan, place_key
from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor, can_see
from workflow.domain.states import FINAL_STATES, REGENCY_ROLES, STAFF_ROLES, Action, Role, State
from workflow.models import Complaint, ComplaintEvent
from workflow.services import hooks, inputs
from workflow.services.actions import load_complaint, situation_of, verify
from workflow.services.sop import active_sop, sop_of

VERIFY, REDISPOSE, TRANSFER_OUT = Action.verify.value, Action.redispose.value, Action.transfer_out.value
# A class whose complaints always need the administrator's judgement, whatever the rules say.
SUPERVISORY_CLASS = "pengaduan_berkadar_pengawasan"
BOUNCE_ALERT = "bounce_alert"
MAX_SUGGESTIONS = 8


@dataclass(frozen=True)
class Case:
    """What routing reads of a complaint."""

    title: str
    description: str
    category: str
    desa: str | None = None
    kecamatan: str | None = None
    returned_by: frozenset[str] = frozenset()
    # A returned complaint is redisposed, a new one verified.
    returned: bool = False


@dataclass(frozen=True)
class Suggestion:
    """One place a complaint could go: a unit (verify/redispose) or an outside agency (transfer_out)."""

    target: str
    action: str
    name: str
    confidence: float
    reasons: tuple[str, ...]
    certain: bool = False

    @property
    def reason(self) -> str:
        """Return the reasons as one line."""
        return "; ".join(self.reasons)

    def as_dict(self) -> dict:
        """Return the suggestion as JSON data."""
        return {"target": self.target, "action": self.action, "name": self.name,
                "confidence": self.confidence, "certain": self.certain, "reason": self.reason,
                "reasons": list(self.reasons)}


@dataclass
class _Votes:
    action: str
    confidences: list[float] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    certain: bool = False

    def add(self, confidence: float, reason: str, certain: bool = False) -> None:
        self.confidences.append(confidence)
        self.reasons.append(reason)
        self.certain = self.certain or certain

    def combined(self) -> float:
        doubt = 1.0
        for confidence in self.confidences:
            doubt *= 1 - confidence
        return round(1 - doubt, 3)


def words(text: str | None) -> str:
    """Return ``text`` lower-cased with punctuation as spaces ("E-KTP rusak!" → "e ktp rusak")."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in (text or "").casefold()).split())


def matches(text: str, keywords) -> list[str]:
    """Return the keywords found in ``text`` as whole words or phrases (``text`` as :func:`words` gives it)."""
    padded = f" {text} "
    return [keyword for keyword in keywords if f" {words(keyword)} " in padded]


def locate(sop: Sop, desa: str | None, kecamatan: str | None) -> tuple[Kecamatan | None, str | None]:
    """Return the kecamatan of a place and the desa it was found by (the desa wins over a stated kecamatan)."""
    routing = sop.routing
    by_name = {place_key(k.name): k for k in routing.kecamatan}
    if desa:
        key = place_key(desa)
        for entry in routing.desa:
            if key == place_key(entry.name) or key in {place_key(a) for a in entry.aliases}:
                return by_name.get(place_key(entry.kecamatan)), entry.name
    if kecamatan:
        return by_name.get(place_key(kecamatan)), None
    return None, None


def rank(sop: Sop, case: Case) -> list[Suggestion]:
    """Return the suggestions for ``case``, best first (pure: reads only the SOP and the case)."""
    routing = sop.routing
    unit_action = REDISPOSE if case.returned else VERIFY
    votes: dict[str, _Votes] = {}

    def vote(target: str, action: str, confidence: float, reason: str, certain: bool = False) -> None:
        votes.setdefault(target, _Votes(action)).add(confidence, reason, certain)

    text = words(f"{case.title} {case.description}")
    category = sop.category(case.category)
    if category is not None:
        vote(category.default_unit, unit_action, routing.category_confidence,
             f"Unit bawaan kategori '{category.name}' / default unit of the category")
    for other in sop.categories:
        hits = matches(text, other.keywords)
        if hits:
            confidence = 1 - (1 - routing.category_keyword_confidence) ** len(hits)
            vote(other.default_unit, unit_action, confidence,
                 f"Kata kunci kategori '{other.name}': {_quoted(hits)} / keywords of the category")
    for rule in routing.keyword_rules:
        if rule.categories and case.category not in rule.categories:
            continue
        hits = matches(text, rule.keywords)
        if hits:
            label = "aturan pasti / certain rule" if rule.certain else "aturan kata kunci / keyword rule"
            vote(rule.unit, unit_action, rule.confidence, f"Kata kunci {_quoted(hits)} ({label})", rule.certain)
    kecamatan, desa = locate(sop, case.desa, case.kecamatan)
    if kecamatan is not None:
        where = f"Kecamatan {kecamatan.name}" + (f" (desa {desa})" if desa else "")
        vote(kecamatan.unit, unit_action, routing.kecamatan_confidence,
             f"Lokasi di {where} / the place lies in this kecamatan")
        for local in routing.local_units:
            if local.category != case.category:
                continue
            if local.use == "kecamatan":
                vote(kecamatan.unit, unit_action, local.confidence,
                     f"Kategori ini ditangani unit wilayah: {where} / handled by the area's unit")
            for code in kecamatan.puskesmas if local.use == "puskesmas" else ():
                share = local.confidence / len(kecamatan.puskesmas)
                vote(code, unit_action, share,
                     f"Puskesmas wilayah {where}, salah satu dari {len(kecamatan.puskesmas)} / "
                     f"one of the area's {len(kecamatan.puskesmas)} Puskesmas")
    for jurisdiction in routing.jurisdictions:
        hits = matches(text, jurisdiction.keywords)
        if hits:
            vote(jurisdiction.target, TRANSFER_OUT, jurisdiction.confidence,
                 f"Di luar kewenangan kabupaten ({_LEVELS[jurisdiction.level]}): kata kunci {_quoted(hits)} / "
                 f"outside the regency's authority")
    units = {unit.code: unit for unit in sop.units}
    suggestions = []
    for target, tally in votes.items():
        if tally.action != TRANSFER_OUT:
            unit = units.get(target)
            if unit is None or unit.kind == "regency" or target in case.returned_by:
                continue
            name = unit.name
        else:
            name = target
        suggestions.append(Suggestion(target=target, action=tally.action, name=name,
                                      confidence=tally.combined(), reasons=tuple(tally.reasons),
                                      certain=tally.certain))
    return sorted(suggestions, key=lambda s: (-s.confidence, not s.certain, s.target))


def certain_choice(suggestions: list[Suggestion]) -> Suggestion | None:
    """Return the unit a certain rule settles, or None when the administrator must decide.

    The best suggestion must be a unit from a certain rule, no other certain rule may point
    elsewhere, and no matter outside the regency may match.
    """
    if not suggestions:
        return None
    best = suggestions[0]
    if not best.certain or best.action == TRANSFER_OUT:
        return None
    if any(s.action == TRANSFER_OUT or (s.certain and s.target != best.target) for s in suggestions):
        return None
    return best


def suggest_routing(complaint_id: int, actor: Actor, now: datetime) -> list[Suggestion]:
    """Return where a complaint awaiting routing should go, best first (empty once a unit holds it)."""
    complaint = visible_complaint(complaint_id, actor)
    if complaint.unit_id is not None or State(complaint.state) in FINAL_STATES:
        return []
    # The rules in force now, not those the complaint was verified under: routing decides what happens next.
    _, sop = active_sop()
    return rank(sop, case_of(complaint))[:MAX_SUGGESTIONS]


def dispose_if_certain(complaint: Complaint, now: datetime) -> Complaint | None:
    """Verify a new complaint as the system when a certain rule settles its unit and the SOP allows it.

    The reporter's own anonymous and confidential choice is recorded as the confidentiality decision.
    Return the verified complaint, or None when it waits for the administrator.
    """
    _, sop = active_sop()
    if not sop.sop.auto_dispose_certain or complaint.state != State.received.value:
        return None
    category = sop.category(complaint.category_code)
    if category is None or category.default_class == SUPERVISORY_CLASS:
        return None
    choice = certain_choice(rank(sop, case_of(complaint)))
    if choice is None:
        return None
    params = inputs.parse(inputs.Verify, {
        "unit": choice.target, "class": category.default_class,
        "anonymous": complaint.anonymous, "confidential": complaint.confidential,
        "comment": f"Didisposisikan otomatis ke {choice.name} menurut aturan pasti SOP. / Dispositioned "
                   f"automatically by a certain SOP rule. Alasan / reason: {choice.reason}"})
    return verify(complaint.id, Actor.system(), now, params)


def case_of(complaint: Complaint) -> Case:
    """Return what routing reads of ``complaint``, with the units that returned it."""
    return Case(title=complaint.title, description=complaint.description, category=complaint.category_code,
                desa=complaint.desa, kecamatan=complaint.kecamatan,
                returned_by=frozenset(returned_by(complaint.id)),
                returned=complaint.state == State.returned.value)


def returned_by(complaint_id: int, before_event_id: int | None = None) -> list[str]:
    """Return the units that returned the complaint ("bukan wewenang"), in order."""
    query = select(ComplaintEvent.details).where(ComplaintEvent.complaint_id == complaint_id,
                                                 ComplaintEvent.action == Action.return_.value)
    if before_event_id is not None:
        query = query.where(ComplaintEvent.id != before_event_id)
    return [details.get("from_unit") for details in db.session.scalars(query.order_by(ComplaintEvent.id))
            if details and details.get("from_unit")]


def visible_complaint(complaint_id: int, actor: Actor) -> Complaint:
    """Return the complaint if ``actor`` is staff who may see it; else raise NotFound/PermissionDenied."""
    if actor.role not in STAFF_ROLES:
        raise PermissionDenied("Hanya petugas yang melihat saran. / Only staff see suggestions.",
                               {"role": actor.role.value})
    complaint = load_complaint(complaint_id)
    if not can_see(actor, situation_of(complaint)):
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    return complaint


@hooks.on_change
def alert_coordinator_on_bounces(complaint: Complaint, event: ComplaintEvent) -> None:
    """Record a ``bounce_alert`` for the coordinator when a complaint is returned ``max_bounces`` times or more."""
    if event.action != Action.return_.value:
        return
    limit = sop_of(complaint.sop_version).sop.max_bounces
    if complaint.bounce_count < limit:
        return
    # The return event may not be flushed yet; read the earlier ones without flushing half a transition.
    with db.session.no_autoflush:
        units = [*returned_by(complaint.id, before_event_id=event.id), (event.details or {}).get("from_unit")]
    db.session.add(ComplaintEvent(
        complaint_id=complaint.id, at=event.at, actor_id=None, actor_role=Role.system.value,
        action=BOUNCE_ALERT, internal=True,
        comment=(f"Pengaduan sudah {complaint.bounce_count} kali dikembalikan sebagai bukan wewenang; tim koordinasi "
                 f"perlu menetapkan unit yang tepat. / Returned {complaint.bounce_count} times as not the unit's "
                 f"authority; the coordination team must settle the right unit."),
        details={"bounce_count": complaint.bounce_count, "max_bounces": limit, "returned_by": units,
                 "last_reason": event.comment, "alert": Role.coordinator.value}))


def routing_quality(now: datetime, since: datetime, actor: Actor | None = None) -> dict:
    """Return, per category and per unit, the dispositions made since ``since`` and the share never returned.

    A disposition (verify or redispose) counts as returned when the unit's next move on it was a
    return. ``actor`` None is the engine's own reporting; people need a regency-wide role.
    """
    if actor is not None and actor.role not in REGENCY_ROLES:
        raise PermissionDenied("Laporan ini untuk peran tingkat kabupaten. / This report is for regency-wide roles.",
                               {"role": actor.role.value})
    if since.tzinfo is None or since >= now:
        raise InvalidInput("Awal periode harus sebelum sekarang. / The period must start before now.",
                           {"since": since.isoformat()})
    moves = (Action.verify.value, Action.redispose.value, Action.return_.value)
    disposed = (select(ComplaintEvent.complaint_id)
                .where(ComplaintEvent.action.in_(moves[:2]), ComplaintEvent.at >= since, ComplaintEvent.at <= now)
                .distinct())
    rows = db.session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.action, ComplaintEvent.at, ComplaintEvent.details,
               Complaint.category_code)
        .join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(ComplaintEvent.complaint_id.in_(disposed), ComplaintEvent.action.in_(moves))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.id)).all()
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, row in enumerate(rows):
        if row.action == Action.return_.value or not since <= row.at <= now:
            continue
        following = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].complaint_id == row.complaint_id else None
        returned = int(following is not None and following.action == Action.return_.value
                       and following.at <= now)
        unit = (row.details or {}).get("unit", "?")
        for tally in (by_category[row.category_code], by_unit[unit]):
            tally[0] += 1
            tally[1] += returned
    _, sop = active_sop()
    tz = ZoneInfo(sop.sop.timezone)

    def line(key: str, name: str | None, tally: list[int]) -> dict:
        dispositions, returned = tally
        return {"code": key, "name": name, "dispositions": dispositions, "returned": returned,
                "never_returned": dispositions - returned,
                "share_never_returned": round((dispositions - returned) / dispositions, 3)}

    units = {u.code: u.name for u in sop.units}
    total = [sum(t[0] for t in by_category.values()), sum(t[1] for t in by_category.values())]
    return {
        "since": since.astimezone(tz).isoformat(), "until": now.astimezone(tz).isoformat(),
        "total": line("*", "Semua / all", total) if total[0] else None,
        "categories": [line(code, getattr(sop.category(code), "name", None), tally)
                       for code, tally in sorted(by_category.items(), key=lambda kv: (-kv[1][0], kv[0]))],
        "units": [line(code, units.get(code), tally)
                  for code, tally in sorted(by_unit.items(), key=lambda kv: (-kv[1][0], kv[0]))],
    }


_LEVELS = {"national": "pusat / national", "provincial": "provinsi / provincial",
           "vertical": "instansi vertikal / vertical agency", "state_enterprise": "BUMN / state enterprise",
           "other": "instansi lain / other agency"}


def _quoted(hits: list[str]) -> str:
    return ", ".join(f"'{hit}'" for hit in hits)
