"""The filing form: its choices from the SOP, its checks in plain words, and its spam guards.

Spam is kept out without outside services: a rate limit per address (the view), a honeypot field
people never see, and a minimum fill time read from a signed timestamp the form carries. The
timestamp is signed with the app's secret, so a bot cannot forge an older one; it also carries a
random key that makes a double submission (a second tap, a reload) return the first complaint and
its PIN instead of filing twice.
"""

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from sop import Sop
from sop.schema import place_key
from workflow.domain.errors import InvalidInput
from workflow.services.inputs import NewComplaint, parse

HONEYPOT = "website"
# Bandit B105 (both lines) is a false alarm: a form field's name and a signing salt, not passwords.
TOKEN_FIELD = "form_token"  # nosec B105
TOKEN_SALT = "aduflow.public-filing-form"  # nosec B105
MAX_TITLE, MAX_DESCRIPTION, MAX_ADDRESS = 200, 4000, 300
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GENDERS = ("female", "male", "other", "undisclosed")
# The reporter's fields of NewComplaint → the form's field names, for errors the input model finds.
FIELD_NAMES = {"location.desa": "desa", "location.kecamatan": "kecamatan", "location.address": "address",
               "location.lat": "lat", "location.lng": "lng", "reporter.name": "reporter_name",
               "reporter.phone": "reporter_phone", "reporter.email": "reporter_email", "gesi.gender": "gender",
               "gesi.disability": "disability", "occurred_on": "occurred_on"}


class FormRefused(Exception):
    """The form looks sent by a program (honeypot filled, sent too fast, token forged or stale)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class FilingForm:
    """What the person typed, and the problems found, by field name."""

    values: MultiDict
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choices:
    """The SOP's categories by group, kecamatan and desa by kecamatan, for the form."""

    groups: list[tuple[str, list]]
    kecamatan: list[str]
    desa: dict[str, list[str]]


def choices(sop: Sop) -> Choices:
    """Return the form's choices from the SOP, in the SOP's order."""
    groups: dict[str, list] = {}
    for category in sop.categories:
        groups.setdefault(category.group, []).append(category)
    kecamatan = [k.name for k in sop.routing.kecamatan]
    desa: dict[str, list[str]] = {name: [] for name in kecamatan}
    for item in sop.routing.desa:
        desa.setdefault(item.kecamatan, []).append(item.name)
    return Choices(list(groups.items()), kecamatan, {k: sorted(v) for k, v in desa.items()})


# --- spam guards -------------------------------------------------------------------------------------


def new_token(now: datetime) -> str:
    """Return a signed token recording when the form was shown, with a random key for this submission."""
    return _serializer().dumps({"t": now.isoformat(), "k": secrets.token_urlsafe(18)})


def check_token(values: MultiDict, now: datetime) -> str:
    """Return the submission key if a person plausibly filled the form; raise :class:`FormRefused` if not."""
    if values.get(HONEYPOT, "").strip():
        raise FormRefused(_("Formulir tidak dapat dikirim: kolom tersembunyi \"Situs web\" terisi. Kosongkan "
                            "kolom itu (biasanya diisi otomatis oleh peramban), lalu kirim lagi."))
    try:
        data = _serializer().loads(values.get(TOKEN_FIELD, ""))
        shown = datetime.fromisoformat(data["t"])
        key = str(data["k"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise FormRefused(_("Formulir ini tidak lengkap atau sudah diubah. Muat ulang halaman, lalu kirim "
                            "lagi.")) from None
    config = current_app.config
    if now - shown < timedelta(seconds=config["PUBLIC_FORM_MIN_SECONDS"]):
        raise FormRefused(_("Formulir terkirim terlalu cepat. Periksa isian Anda, lalu tekan Kirim sekali lagi."))
    if now - shown > timedelta(hours=config["PUBLIC_FORM_MAX_AGE_HOURS"]):
        raise FormRefused(_("Formulir ini sudah terlalu lama terbuka. Periksa isian Anda, lalu tekan Kirim "
                            "sekali lagi."))
    return key


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


# --- reading the form --------------------------------------------------------------------------------


def read_complaint(values: MultiDict, sop: Sop, now: datetime, photos: int = 0,
                   channel: str | None = None) -> tuple[NewComplaint | None, FilingForm]:
    """Check the filing form; return the complaint to file, or None and the problems by field."""
    form = FilingForm(values)
    errors = form.errors

    def text(name: str, limit: int, required: bool = False) -> str | None:
        value = (values.get(name) or "").strip()
        if not value:
            if required:
                errors[name] = _("Wajib diisi.")
            return None
        if len(value) > limit:
            errors[name] = _("Paling banyak %(limit)d karakter (sekarang %(length)d).", limit=limit,
                             length=len(value))
        return value

    category = (values.get("category") or "").strip()
    if not category:
        errors["category"] = _("Pilih satu kategori.")
    elif sop.category(category) is None:
        errors["category"] = _("Kategori tidak dikenal; pilih dari daftar.")
    title = text("title", MAX_TITLE, required=True)
    description = text("description", MAX_DESCRIPTION, required=True)
    address = text("address", MAX_ADDRESS)
    kecamatan, desa = _place(values, sop, errors)
    lat, lng = _coordinates(values, errors)
    occurred_on = _day(values, now, sop, errors)
    name = text("reporter_name", 200)
    phone = text("reporter_phone", 32)
    if phone and not PHONE.match(phone):
        errors["reporter_phone"] = _("Tulis nomor telepon dengan angka saja, misalnya 081234567890.")
    email = text("reporter_email", 254)
    if email and not EMAIL.match(email):
        errors["reporter_email"] = _("Alamat surel tidak lengkap, misalnya nama@contoh.id.")
    gender = values.get("gender") or None
    if gender is not None and gender not in GENDERS:
        errors["gender"] = _("Pilih dari daftar.")
    limit = current_app.config["ATTACHMENT_MAX_COUNT"]
    if photos > limit:
        errors["photos"] = _("Paling banyak %(limit)d foto.", limit=limit)
    if errors:
        return None, form
    data = {
        "title": title, "description": description, "category": category,
        "location": {"desa": desa, "kecamatan": kecamatan, "address": address, "lat": lat, "lng": lng},
        "occurred_on": occurred_on.isoformat() if occurred_on else None,
        "reporter": {"name": name, "phone": phone, "email": email},
        "anonymous": _checked(values, "anonymous"), "confidential": _checked(values, "confidential"),
        "needs_assistance": _checked(values, "needs_assistance"),
        "gesi": {"gender": gender, "disability": True if _checked(values, "disability") else None},
    }
    if channel:
        data["channel"] = channel
    try:
        return parse(NewComplaint, data), form
    except InvalidInput as error:  # what the shared input model refuses beyond the checks above
        for key, problem in error.details.items():
            errors[FIELD_NAMES.get(key, key)] = problem
        return None, form


def _checked(values: MultiDict, name: str) -> bool:
    return values.get(name) in ("1", "on", "true", "yes")


def _place(values: MultiDict, sop: Sop, errors: dict) -> tuple[str | None, str | None]:
    kecamatan = (values.get("kecamatan") or "").strip() or None
    desa = (values.get("desa") or "").strip() or None
    known_kecamatan = {place_key(k.name): k.name for k in sop.routing.kecamatan}
    if kecamatan is not None:
        if place_key(kecamatan) not in known_kecamatan:
            errors["kecamatan"] = _("Kecamatan tidak dikenal; pilih dari daftar.")
            return None, None
        kecamatan = known_kecamatan[place_key(kecamatan)]
    if desa is not None:
        found = next((d for d in sop.routing.desa if place_key(d.name) == place_key(desa)), None)
        if found is None:
            errors["desa"] = _("Desa atau kelurahan tidak dikenal; pilih dari daftar.")
            return kecamatan, None
        if kecamatan is not None and place_key(found.kecamatan) != place_key(kecamatan):
            errors["desa"] = _("Desa %(desa)s ada di Kecamatan %(found)s, bukan %(chosen)s.", desa=found.name,
                               found=found.kecamatan, chosen=kecamatan)
            return kecamatan, None
        # The desa says which kecamatan it lies in; the person need not pick both.
        return found.kecamatan, found.name
    return kecamatan, None


def _coordinates(values: MultiDict, errors: dict) -> tuple[float | None, float | None]:
    raw_lat, raw_lng = (values.get("lat") or "").strip(), (values.get("lng") or "").strip()
    if not raw_lat and not raw_lng:
        return None, None
    if not raw_lat or not raw_lng:
        errors["lat" if not raw_lat else "lng"] = _("Isi lintang dan bujur berdua, atau kosongkan keduanya.")
        return None, None
    lat, lng = _number(raw_lat, -90, 90), _number(raw_lng, -180, 180)
    if lat is None:
        errors["lat"] = _("Lintang berupa angka antara -90 dan 90, misalnya -8.5369.")
    if lng is None:
        errors["lng"] = _("Bujur berupa angka antara -180 dan 180, misalnya 115.4045.")
    return (lat, lng) if lat is not None and lng is not None else (None, None)


def _number(raw: str, low: float, high: float) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _day(values: MultiDict, now: datetime, sop: Sop, errors: dict) -> date | None:
    raw = (values.get("occurred_on") or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors["occurred_on"] = _("Tanggal tidak valid; tulis seperti 2026-03-17.")
        return None
    if day > now.astimezone(ZoneInfo(sop.sop.timezone)).date():
        errors["occurred_on"] = _("Tanggal kejadian tidak boleh di masa depan.")
        return None
    return day
