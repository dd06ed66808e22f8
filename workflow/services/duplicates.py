"""Likely duplicates of a complaint, and statistics that count a repeated problem once.

Candidates are narrowed in SQL before anything is scored: complaints received within the window
(``ix_complaints_received_at``) that share the category, the desa or the reporter's contact. Only
those rows are scored in Python: same contact, same desa, same category, nearby coordinates and
similar words (token Jaccard over title and description, on roughly stemmed Indonesian words).

A hidden identity stays hidden: only roles that may see identities are told which contact matched,
and when either complaint is anonymous the contact is not compared at all for other roles, so a
"same contact" hint cannot tie an anonymous complaint to a named reporter.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from math import asin, cos, radians, sin, sqrt
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from sop.schema import place_key
from workflow.db import db
from workflow.domain.rules import Actor, can_see_identity
from workflow.domain.states import ArchiveReason, State
from workflow.models import Complaint
from workflow.services.queries import scoped
from workflow.services.redaction import shown_text
from workflow.services.routing import visible_complaint, words
from workflow.services.sop import active_sop

MIN_SCORE = 0.4
MAX_RESULTS = 10
# Rows scored at most per request: the SQL narrowing keeps this far above what a window holds.
MAX_CANDIDATES = 300
NEARBY_METRES = 150
WEIGHTS = {"contact": 0.3, "desa": 0.15, "category": 0.1, "nearby": 0.15, "text": 0.55}
# Duplicates are archived and linked; statistics count the problem once, under its original.
COUNTED_ONCE = or_(Complaint.archive_reason.is_(None), Complaint.archive_reason != ArchiveReason.duplicate.value)

# Words that say nothing about the problem.
STOPWORDS = frozenset({
    "yang", "dan", "di", "ke", "dari", "ini", "itu", "ada", "tidak", "sudah", "belum", "akan", "dengan", "untuk",
    "pada", "dalam", "karena", "atau", "juga", "sangat", "saya", "kami", "kita", "mereka", "dia", "ia", "mohon",
    "tolong", "bapak", "ibu", "pak", "bu", "agar", "supaya", "sejak", "lagi", "masih", "bisa", "dapat", "sekitar",
    "tersebut", "oleh", "para", "kepada", "jadi", "hari", "minggu", "bulan", "tahun", "depan", "dekat", "banyak",
    "sering", "terus", "the", "and"
})
_PREFIXES = ("meng", "meny", "mem", "men", "me", "ber", "ter", "di", "peng", "pem", "pen", "pe", "ke", "se")
_SUFFIXES = ("nya", "an")


@dataclass(frozen=True)
class Match:
    """A likely duplicate: who it is, how likely, and why."""

    complaint: dict
    score: float
    reasons: list[str]

    def as_dict(self) -> dict:
        """Return the match as JSON data."""
        return {"complaint": self.complaint, "score": self.score, "reasons": self.reasons}


def stem(word: str) -> str:
    """Strip one common Indonesian prefix and suffix ("berlubang" → "lubang"), keeping at least four letters."""
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            word = word[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)  # the complaint being checked is compared with every candidate
def tokens(text: str | None) -> frozenset[str]:
    """Return the meaningful, roughly stemmed words of ``text``."""
    return frozenset(stem(w) for w in words(text).split() if len(w) > 2 and w not in STOPWORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Return the share of words two texts have in common (0 when either is empty)."""
    return len(a & b) / len(a | b) if a and b else 0.0


def phone_key(phone: str | None) -> str | None:
    """Return a phone number in one national form ("+62 812-3456" and "0812 3456" → "08123456")."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    elif digits.startswith("8"):
        digits = "0" + digits
    return digits if len(digits) >= 8 else None


def email_key(email: str | None) -> str | None:
    """Return an e-mail address in the form it is compared in."""
    return email.strip().casefold() if email and email.strip() else None


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the great-circle distance between two (lat, lng) points in metres."""
    lat1, lng1, lat2, lng2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lng2 - lng1) / 2) ** 2
    return 2 * 6_371_000 * asin(sqrt(h))


def score(subject: Complaint, other: Complaint, compare_contact: bool = True,
          show_contact: bool = False) -> tuple[float, list[str]]:
    """Return how likely ``other`` repeats ``subject`` (0–1) and the reasons, in Bahasa Indonesia and English."""
    total, reasons = 0.0, []
    if compare_contact:
        same = []
        if phone_key(subject.reporter_phone) and phone_key(subject.reporter_phone) == phone_key(other.reporter_phone):
            same.append(("telepon / phone", other.reporter_phone))
        if email_key(subject.reporter_email) and email_key(subject.reporter_email) == email_key(other.reporter_email):
            same.append(("email", other.reporter_email))
        if same:
            total += WEIGHTS["contact"]
            kinds = ", ".join(kind for kind, _ in same)
            shown = f": {', '.join(value for _, value in same)}" if show_contact else ""
            reasons.append(f"Kontak pelapor sama ({kinds}){shown} / same reporter contact")
    if subject.desa and other.desa and place_key(subject.desa) == place_key(other.desa):
        total += WEIGHTS["desa"]
        reasons.append(f"Desa sama: {other.desa} / same desa")
    if subject.category_code == other.category_code:
        total += WEIGHTS["category"]
        reasons.append(f"Kategori sama: {other.category_code} / same category")
    if None not in (subject.lat, subject.lng, other.lat, other.lng):
        distance = metres_between((subject.lat, subject.lng), (other.lat, other.lng))
        if distance <= NEARBY_METRES:
            total += WEIGHTS["nearby"]
            reasons.append(f"Lokasi berdekatan (±{round(distance)} m) / nearby")
    similarity = max(jaccard(tokens(f"{subject.title} {subject.description}"),
                             tokens(f"{other.title} {other.description}")),
                     jaccard(tokens(subject.title), tokens(other.title)))
    if similarity >= 0.2:
        total += WEIGHTS["text"] * similarity
        reasons.append(f"Teks mirip ({round(similarity * 100)}%) / similar text")
    return round(min(total, 1.0), 3), reasons


def suggest_duplicates(complaint_id: int, actor: Actor, now: datetime, window_days: int = 30) -> list[Match]:
    """Return the complaints ``actor`` may see that likely repeat this one, most likely first."""
    subject = visible_complaint(complaint_id, actor)
    window = timedelta(days=window_days)
    narrowing = [Complaint.category_code == subject.category_code]
    if subject.desa:
        narrowing.append(func.lower(Complaint.desa) == subject.desa.strip().lower())
    phone, email = phone_key(subject.reporter_phone), email_key(subject.reporter_email)
    if phone:
        narrowing.append(Complaint.reporter_phone.in_(_phone_spellings(phone, subject.reporter_phone)))
    if email:
        narrowing.append(func.lower(Complaint.reporter_email) == email)
    query = (select(Complaint)
             .where(Complaint.id != subject.id,
                    Complaint.received_at >= subject.received_at - window,
                    Complaint.received_at <= min(subject.received_at + window, now),
                    or_(*narrowing), COUNTED_ONCE)
             .options(selectinload(Complaint.unit))
             .order_by(Complaint.received_at.desc(), Complaint.id.desc())
             .limit(MAX_CANDIDATES))
    identity = can_see_identity(actor)
    tz = ZoneInfo(active_sop()[1].sop.timezone)
    found = []
    for other in db.session.scalars(scoped(query, actor)):
        compare_contact = identity or not (subject.anonymous or other.anonymous)
        value, reasons = score(subject, other, compare_contact, show_contact=identity)
        if value >= MIN_SCORE:
            found.append(Match(summary(other, tz) | {"title": shown_text(actor, other, other.title)}, value, reasons))
    found.sort(key=lambda m: (-m.score, m.complaint["id"]))
    return found[:MAX_RESULTS]


def summary(complaint: Complaint, tz: ZoneInfo) -> dict:
    """Return what a duplicate list shows of a complaint: never its reporter."""
    return {"id": complaint.id, "tracking_code": complaint.tracking_code, "title": complaint.title,
            "state": complaint.state, "state_label": State(complaint.state).label,
            "category": complaint.category_code, "desa": complaint.desa, "kecamatan": complaint.kecamatan,
            "unit": complaint.unit.code if complaint.unit else None,
            "received_at": complaint.received_at.astimezone(tz).isoformat()}


def problem_counts(since: datetime, until: datetime) -> dict:
    """Return the complaints received in [since, until): all of them, the distinct problems, and duplicates."""
    received = (Complaint.received_at >= since, Complaint.received_at < until)
    total = db.session.scalar(select(func.count(Complaint.id)).where(*received))
    problems = db.session.scalar(select(func.count(Complaint.id)).where(*received, COUNTED_ONCE))
    return {"received": total, "problems": problems, "duplicates": total - problems}


def _phone_spellings(key: str, raw: str | None) -> list[str]:
    # The stored number is as the reporter typed it; these are the spellings an index can find.
    national = key[1:]
    return sorted({key, f"62{national}", f"+62{national}", f"+62 {national}", *([raw.strip()] if raw else [])})

