"""Configuration classes; values come from the environment when the app is created, not at import."""

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET = "dev-only-secret-change-me"  # nosec B105  # the development default, refused in production


class Config:
    """Settings shared by every environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Aware ISO-8601 moment to freeze "now" (demos, tests); empty means the real clock.
    FIXED_NOW = ""
    SOP_NAME = "klungkung"
    PASSWORD_HASH_METHOD = "scrypt"  # nosec B105  # the name of a hash function
    # Attachments: at most this many per complaint, each at most this many bytes (see ATTACHMENT_DIR).
    ATTACHMENT_MAX_COUNT = 5
    ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    # No request body larger than the largest filing (every photo at its limit, plus the form) is read: the CSRF
    # check parses a form before a view could set its own, tighter limit (Flask answers 413).
    MAX_CONTENT_LENGTH = ATTACHMENT_MAX_COUNT * ATTACHMENT_MAX_BYTES + 1024 * 1024
    # Tracking look-ups: after this many wrong PINs in a row the code refuses every PIN for a while.
    PIN_MAX_FAILURES = 5
    PIN_LOCK_MINUTES = 15
    # Per client address, shared by every /api/v1/track/* endpoint (Flask-Limiter syntax).
    TRACKING_RATE_LIMIT = "20 per minute"
    RATELIMIT_STRATEGY = "moving-window"
    # Citizen portal (/adukan): filings per client address (Flask-Limiter syntax; mobile carriers put many
    # people behind one address, so keep it generous), and how long a person must at least take to fill
    # the form (a bot is faster) and may at most leave it open.
    PUBLIC_FILING_RATE_LIMIT = "5 per minute;30 per hour"
    PUBLIC_FORM_MIN_SECONDS = 5
    PUBLIC_FORM_MAX_AGE_HOURS = 24
    # Open311 GeoReport v2 (/open311/v2): what discovery tells clients, and the cap on GET requests.
    OPEN311_ENDPOINT_TYPE = "production"
    OPEN311_MAX_REQUESTS = 1000
    # Outbox delivery: retry after base·2^(attempts−1) seconds, at most the cap; give up after the maximum
    # (OUTBOX_BACKOFF_BASE_SECONDS, OUTBOX_BACKOFF_CAP_SECONDS, OUTBOX_MAX_ATTEMPTS; read in __init__).
    # Connector-imported complaints whose category matches no SOP category land here for the administrator.
    CONNECTOR_FALLBACK_CATEGORY = "lainnya"
    # Staff sign-in (web/staff): after this many wrong passwords in a row the account refuses sign-in for
    # LOGIN_LOCK_MINUTES, doubling with each further lock (at most LOGIN_LOCK_MAX_MINUTES); per address too.
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    LOGIN_LOCK_MAX_MINUTES = 24 * 60
    LOGIN_RATE_LIMIT = "10 per minute"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # A CSRF token lasts a working day, so a complaint page left open since the morning still submits.
    WTF_CSRF_TIME_LIMIT = 10 * 3600
    STAFF_PAGE_SIZE = 25

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get(
            "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'aduflow.db'}"))
        self.FIXED_NOW = os.environ.get("ADUFLOW_FIXED_NOW", "")
        # Outside any static folder: files are served only through the API, to those who may see them.
        self.ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", str(BASE_DIR / "instance" / "attachments"))
        # memory:// counts per process; several workers need a shared store, e.g. redis://127.0.0.1:6379.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_ENABLED = _flag(os.environ.get("RATELIMIT_ENABLED", "1"))
        # Freeze a worker's start-up heap out of the full garbage-collection passes (web/heap.py).
        self.FREEZE_HEAP = _flag(os.environ.get("FREEZE_HEAP", "1"))
        # Per-address filing limit (portal form and public API); a load test from one address raises it.
        self.PUBLIC_FILING_RATE_LIMIT = os.environ.get("PUBLIC_FILING_RATE_LIMIT", self.PUBLIC_FILING_RATE_LIMIT)
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (nginx: 1). Behind a
        # proxy every request comes from the proxy's address: without this, all citizens share one rate limit.
        # Never more than the proxies really there: a client could otherwise choose its own address.
        self.TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
        self.OUTBOX_BACKOFF_BASE_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_BASE_SECONDS", "60"))
        self.OUTBOX_BACKOFF_CAP_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_CAP_SECONDS", str(6 * 3600)))
        self.OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "12"))
        self.OPEN311_CONTACT = os.environ.get(
            "OPEN311_CONTACT", "Bagian Organisasi Setda Kabupaten Klungkung (pengelola SP4N-LAPOR!) / "
                               "Organisation Division, Klungkung Regency Secretariat")
        self.OPEN311_KEY_SERVICE = os.environ.get(
            "OPEN311_KEY_SERVICE", "Minta kunci API kepada Bagian Organisasi Setda Kabupaten Klungkung. / "
                                   "Ask the Organisation Division of the Klungkung Regency Secretariat for an API key.")
        # The public base URL of /open311/v2 behind a proxy; empty means the URL the request came in on.
        self.OPEN311_BASE_URL = os.environ.get("OPEN311_BASE_URL", "")
        # SP4N-LAPOR! hub: empty base URL means the connector is off (transfers wait in the outbox).
        self.LAPOR_BASE_URL = os.environ.get("LAPOR_BASE_URL", "")
        self.LAPOR_TOKEN = os.environ.get("LAPOR_TOKEN", "")
        self.LAPOR_TIMEOUT_SECONDS = float(os.environ.get("LAPOR_TIMEOUT_SECONDS", "10"))
        # The regency's agency id at the hub: pulls ask for complaints dispositioned to it.
        self.LAPOR_AGENCY_ID = os.environ.get("LAPOR_AGENCY_ID", "")
        # Klungkung Mesadu webhook: the shared HMAC secret; empty refuses every delivery.
        self.MESADU_SECRET = os.environ.get("MESADU_SECRET", "")
        # Notifications (workflow/notifications): queued with each public step, assignment, warning and
        # breach. The tracking link in messages to reporters is {PUBLIC_BASE_URL}/lacak/{tracking code}.
        self.NOTIFICATIONS_ENABLED = _flag(os.environ.get("NOTIFICATIONS_ENABLED", "1"))
        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Which channels a reporter's phone number gets: "sms", "whatsapp", "sms,whatsapp" or "" (none).
        self.NOTIFY_REPORTER_PHONE_CHANNEL = phone_channels(os.environ.get("NOTIFY_REPORTER_PHONE_CHANNEL", "sms"))
        # E-mail over SMTP; with MAIL_SERVER empty, messages go to MAIL_SINK_DIR as .eml files (development),
        # or wait in the outbox when that is empty too.
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = _flag(os.environ.get("MAIL_USE_TLS", "1"))
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "Aduflow Kabupaten Klungkung <aduflow@localhost>")
        self.MAIL_TIMEOUT_SECONDS = float(os.environ.get("MAIL_TIMEOUT_SECONDS", "10"))
        self.MAIL_SINK_DIR = os.environ.get("MAIL_SINK_DIR", "")
        # SMS and WhatsApp gateways (POST JSON {to, text}); an empty URL leaves those messages waiting.
        self.SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
        self.WHATSAPP_GATEWAY_URL = os.environ.get("WHATSAPP_GATEWAY_URL", "")
        self.GATEWAY_TOKEN = os.environ.get("GATEWAY_TOKEN", "")
        self.GATEWAY_TIMEOUT_SECONDS = float(os.environ.get("GATEWAY_TIMEOUT_SECONDS", "10"))


class DevelopmentConfig(Config):
    """Local development on SQLite with the demo data."""

    DEBUG = True
    OPEN311_ENDPOINT_TYPE = "test"

    def __init__(self) -> None:
        super().__init__()
        # Without an SMTP server, e-mail is written where a person can open it: instance/mail/*.eml.
        self.MAIL_SINK_DIR = self.MAIL_SINK_DIR or str(BASE_DIR / "instance" / "mail")


class TestingConfig(Config):
    """The test suite: a database per test run, given by the fixtures."""

    TESTING = True
    # Password hashing is deliberately slow; the suite creates hundreds of accounts.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # nosec B105  # the name of a hash function (tests only)
    OPEN311_ENDPOINT_TYPE = "test"

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret"  # nosec B105  # the test suite's own key, never deployed
        # Never the repository's instance/ folder; tests that upload give each test its own folder.
        self.ATTACHMENT_DIR = str(Path(tempfile.gettempdir()) / "aduflow-test-attachments")
        # Off by default: other tests count outbox rows; the notification tests switch it on.
        self.NOTIFICATIONS_ENABLED = False
        # The heap is the test process's, shared by every app it creates: tests/web/test_heap.py switches it on.
        self.FREEZE_HEAP = False
        self.MAIL_SERVER, self.SMS_GATEWAY_URL, self.WHATSAPP_GATEWAY_URL = "", "", ""
        self.MAIL_SINK_DIR = str(Path(tempfile.gettempdir()) / "aduflow-test-mail")


class ProductionConfig(Config):
    """Production: PostgreSQL, and a real secret or nothing starts."""

    def __init__(self) -> None:
        super().__init__()
        # Staff sessions travel only over HTTPS (SESSION_COOKIE_SECURE=0 only behind a plain-HTTP test proxy).
        self.SESSION_COOKIE_SECURE = _flag(os.environ.get("SESSION_COOKIE_SECURE", "1"))
        if self.SECRET_KEY == DEV_SECRET or not self.SECRET_KEY.strip():  # SECRET_KEY= (empty) is no secret
            raise RuntimeError("SECRET_KEY must be set in production (it keys the reporters' PIN hashes).")


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


PHONE_CHANNELS = ("sms", "whatsapp")


def phone_channels(value: str) -> str:
    """Return ``value`` as a clean comma-separated list of phone channels, or refuse an unknown one."""
    chosen = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in PHONE_CHANNELS]
    if unknown:
        raise RuntimeError(f"NOTIFY_REPORTER_PHONE_CHANNEL: unknown channel {', '.join(unknown)!r}; "
                           f"use sms, whatsapp, both (sms,whatsapp) or nothing")
    return ",".join(dict.fromkeys(chosen))


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def load(name: str | None = None) -> Config:
    """Return the configuration for ``name`` (default: ``ADUFLOW_ENV`` or development)."""
    name = name or os.environ.get("ADUFLOW_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"ADUFLOW_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]()
