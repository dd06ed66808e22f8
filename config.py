"""Configuration classes; values come from the environment when the app is created, not at import."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET = "dev-only-secret-change-me"


class Config:
    """Settings shared by every environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Aware ISO-8601 moment to freeze "now" (demos, tests); empty means the real clock.
    FIXED_NOW = ""
    SOP_NAME = "klungkung"
    PASSWORD_HASH_METHOD = "scrypt"

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get(
            "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'aduflow.db'}"))
        self.FIXED_NOW = os.environ.get("ADUFLOW_FIXED_NOW", "")


class DevelopmentConfig(Config):
    """Local development on SQLite with the demo data."""

    DEBUG = True


class TestingConfig(Config):
    """The test suite: a database per test run, given by the fixtures."""

    TESTING = True
    # Password hashing is deliberately slow; the suite creates hundreds of accounts.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret"


class ProductionConfig(Config):
    """Production: PostgreSQL, and a real secret or nothing starts."""

    def __init__(self) -> None:
        super().__init__()
        if self.SECRET_KEY == DEV_SECRET:
            raise RuntimeError("SECRET_KEY must be set in production (it keys the reporters' PIN hashes).")


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig, "production": ProductionConfig}


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(name: str | None = None) -> Config:
    """Return the configuration for ``name`` (default: ``ADUFLOW_ENV`` or development)."""
    name = name or os.environ.get("ADUFLOW_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"ADUFLOW_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]()
