"""Languages and display preferences: Bahasa Indonesia first, English on request, times in WITA.

Source strings are written in Bahasa Indonesia; English lives in the catalogs under ``translations/``,
one domain per part of the app so engineers never edit the same ``.po`` file: ``messages`` (staff),
``public`` (citizen portal) and ``reports`` (leader dashboard and reports). Flask-Babel merges the
three at run time, so ``_()`` in any template finds a string of any domain. ``.mo`` files are not
committed: they are compiled from the ``.po`` files when the app starts (and by ``make translations``).

The language, text size and contrast a person picks are cookies set by small GET routes, so they
work without JavaScript; ``static/js/app.js`` applies text size and contrast at once where it runs.
"""

import logging
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, redirect, request, url_for
from flask_babel import Babel, get_locale

LOCALES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LOCALE = "id"
DOMAINS = ("messages", "public", "reports")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LANG_COOKIE, TEXT_SIZE_COOKIE, CONTRAST_COOKIE = "lang", "text_size", "contrast"
TEXT_SIZES = ("normal", "large", "larger")
CONTRASTS = ("normal", "high")
COOKIE_MAX_AGE = 365 * 24 * 3600
# How people in Indonesia name their three time zones; used in both languages.
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DATETIME_PATTERNS = {"id": "d MMM y, HH.mm", "en": "d MMM y, HH:mm"}
DATE_PATTERNS = {"id": "d MMM y", "en": "d MMM y"}

babel = Babel()
bp = Blueprint("ui", __name__)
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Configure Flask-Babel (three domains, WITA), the preference routes and the template helpers."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Makassar")
    app.config["BABEL_DOMAIN"] = ";".join(DOMAINS)
    # Flask-Babel pairs the n-th domain with the n-th directory: the same folder, once per domain.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(TRANSLATIONS_DIR)] * len(DOMAINS))
    compile_catalogs()
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    app.jinja_env.filters.update(moment=format_moment, day=format_day)
    app.context_processor(_template_globals)


def select_locale() -> str:
    """Return the language of this request: the ``lang`` cookie, else Bahasa Indonesia."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """Return the code of the language pages are shown in now (``id`` or ``en``)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def text_size() -> str:
    """Return the text size this person chose (``normal``, ``large`` or ``larger``)."""
    chosen = request.cookies.get(TEXT_SIZE_COOKIE, "")
    return chosen if chosen in TEXT_SIZES else "normal"


def contrast() -> str:
    """Return the contrast this person chose (``normal`` or ``high``)."""
    chosen = request.cookies.get(CONTRAST_COOKIE, "")
    return chosen if chosen in CONTRASTS else "normal"


def format_moment(value: datetime | str | None, zone: str | None = None) -> str:
    """Format a moment as people in the unit read it: ``17 Mar 2026, 10.00 WITA``.

    ``value`` is an aware datetime or an ISO-8601 string with its offset (the read models give
    those); it is shown in ``zone``, else in the app's zone (Asia/Makassar).
    """
    if value in (None, ""):
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    name = zone or current_app.config["BABEL_DEFAULT_TIMEZONE"]
    tz, label = ZoneInfo(name), ZONE_NAMES.get(name, name)
    if zone is None and isinstance(value, str) and moment.utcoffset() != moment.astimezone(tz).utcoffset():
        # The read model gave the unit's own offset (a unit elsewhere): keep it rather than the regency's.
        tz, label = moment.tzinfo, "UTC" + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]
    language = current_language()
    text = babel_format_datetime(moment, DATETIME_PATTERNS.get(language, DATETIME_PATTERNS["id"]), tzinfo=tz,
                                 locale=language)
    return f"{text} {label}"


def format_day(value: date | datetime | str | None, pattern: str | None = None) -> str:
    """Format a calendar day the Indonesian way (``17 Mar 2026``; ``pattern`` may ask for another)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    language = current_language()
    return babel_format_date(value, pattern or DATE_PATTERNS.get(language, DATE_PATTERNS["id"]), locale=language)


def compile_catalogs(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every ``.po`` under ``directory`` whose ``.mo`` is missing or older; return what was written."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as source:
                catalog = read_po(source, locale=po_path.parent.parent.name, domain=po_path.stem)
            # Several workers may start at once: each writes its own file and renames it into place.
            handle, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
            with os.fdopen(handle, "wb") as target:
                write_mo(target, catalog)
            os.replace(temporary, mo_path)
            written.append(mo_path)
        except OSError as error:  # a read-only deployment must have compiled them at build time
            log.warning("cannot compile %s: %s", po_path, error)
    return written


@bp.get("/bahasa/<code>")
def set_language(code: str):
    """Switch the language (``id`` or ``en``) and go back to the page the person was on."""
    if code not in LOCALES:
        code = DEFAULT_LOCALE
    return _remember(LANG_COOKIE, code)


@bp.get("/ukuran-teks/<size>")
def set_text_size(size: str):
    """Choose the text size (``normal``, ``large``, ``larger``) and go back."""
    return _remember(TEXT_SIZE_COOKIE, size if size in TEXT_SIZES else "normal")


@bp.get("/kontras/<mode>")
def set_contrast(mode: str):
    """Choose normal or high contrast and go back."""
    return _remember(CONTRAST_COOKIE, mode if mode in CONTRASTS else "normal")


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Return ``target`` if it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def _remember(cookie: str, value: str):
    back = safe_next(request.args.get("next") or _referrer_path())
    response = redirect(back)
    response.set_cookie(cookie, value, max_age=COOKIE_MAX_AGE, httponly=False, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _referrer_path() -> str | None:
    # Only the path of our own pages: a referrer from elsewhere must not steer the redirect.
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _here() -> str:
    return request.full_path.rstrip("?") if request else "/"


def _template_globals() -> dict:
    language = current_language()
    return {
        "current_language": language,
        "languages": LOCALES,
        "text_size": text_size(),
        "text_sizes": TEXT_SIZES,
        "contrast": contrast(),
        "here": _here(),
        "language_url": lambda code: url_for("ui.set_language", code=code, next=_here()),
        "text_size_url": lambda size: url_for("ui.set_text_size", size=size, next=_here()),
        "contrast_url": lambda mode: url_for("ui.set_contrast", mode=mode, next=_here()),
        "html_classes": " ".join([f"text-{text_size()}", *(["high-contrast"] if contrast() == "high" else [])]),
    }
