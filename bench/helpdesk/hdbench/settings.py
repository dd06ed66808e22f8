"""Settings of the django-helpdesk 2.6.1 peer that bench/intake.py and bench/helpdesk_escalate.py measure.

Production-like: DEBUG off, no access log, a dummy e-mail backend (mail is rendered but not sent).
The database comes from ``HELPDESK_DATABASE_URL``: ``postgresql://user@/name?host=/var/run/postgresql``
(PostgreSQL over the Unix socket) or ``sqlite:////abs/path.db`` (WAL).
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("HELPDESK_SECRET_KEY", "bench-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


def _database(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # Same journal as Aduflow's SQLite section: WAL, synchronous=NORMAL.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parsed.path),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}}
    query = parse_qs(parsed.query)
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parsed.path.lstrip("/"),
            "USER": unquote(parsed.username or "postgres"), "PASSWORD": unquote(parsed.password or ""),
            "HOST": query.get("host", [parsed.hostname or ""])[0], "PORT": str(parsed.port or "")}


DATABASES = {"default": _database(os.environ.get("HELPDESK_DATABASE_URL", f"sqlite:///{BASE_DIR / 'helpdesk.db'}"))}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
    "hdbench",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.debug",
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
SITE_ID = 1
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
MEDIA_ROOT = str(BASE_DIR / "media")
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# Rendered, not sent: the peer still builds the submitter's notification mail on every ticket.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@localhost"

HELPDESK_PUBLIC_ENABLED = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
# 2.6.1 crashes its URL configuration with the knowledge base off (NameError: kb): leave it on.
HELPDESK_KB_ENABLED = True
# Teams need pinax-teams (not a dependency of 2.6.1); without it the knowledge base's team field is the user.
HELPDESK_TEAMS_MODE_ENABLED = False

LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
