"""The Flask application factory: configuration, extensions, blueprints, errors, CLI."""

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as settings
from workflow.db import db
from workflow.models import User

migrate = Migrate()
login_manager = LoginManager()
# Keyed by the client address (behind a reverse proxy, set TRUSTED_PROXIES so it is the citizen's, not nginx's).
limiter = Limiter(key_func=get_remote_address)
# Every HTML form carries a CSRF token; the API, Open311 and webhooks authenticate by token, key or signature.
csrf = CSRFProtect()
# One budget per address for every tracking look-up (/api/v1/track/*): guessing PINs across codes and
# endpoints costs the same. Read at request time, so TRACKING_RATE_LIMIT can change without a restart.
tracking_rate = limiter.shared_limit(lambda: current_app.config["TRACKING_RATE_LIMIT"], scope="tracking")


class DatabaseId(IntegerConverter):
    """A whole number of at most nine digits in a path: it fits the database's integer ids, and a longer one
    matches no route (404) instead of failing in the database (SQLite cannot even bind it)."""

    regex = r"\d{1,9}"


def create_app(config: str | dict | None = None) -> Flask:
    """Create the app; ``config`` names an environment or overrides settings (tests)."""
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = DatabaseId
    overrides = config if isinstance(config, dict) else {}
    env = config if isinstance(config, str) else overrides.get("ENV_NAME")
    chosen = settings.load(env)
    app.config.from_object(chosen)
    app.config.update(overrides)
    if hops := app.config.get("TRUSTED_PROXIES"):
        # Address, scheme and host as the client sent them to the proxy, for rate limits and external links.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if isinstance(chosen, settings.ProductionConfig) and app.debug:
        # The debugger runs code from the browser: never with real complaints behind it.
        raise RuntimeError("Debug mode is on (FLASK_DEBUG/DEBUG): production refuses to start with it.")
    app.json.sort_keys = False  # answers keep the order the read models give them
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.BASE_DIR / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    limiter.init_app(app)
    csrf.init_app(app)
    from web import i18n

    i18n.init_app(app)

    from web import cli, errors, heap, security
    from web.api import bp as api_bp

    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    from web.open311 import bp as open311_bp

    app.register_blueprint(open311_bp)
    csrf.exempt(open311_bp)
    import workflow.connectors  # noqa: F401  (registers the SP4N-LAPOR! listener and outbox senders)
    from web.webhooks import bp as webhooks_bp

    app.register_blueprint(webhooks_bp)
    csrf.exempt(webhooks_bp)
    from web.staff import bp as staff_bp

    app.register_blueprint(staff_bp)
    from web.public import bp as public_bp

    app.register_blueprint(public_bp)
    from web.reports import bp as reports_bp
    from workflow.services import indicators  # noqa: F401  (keeps the indicator roll-ups in step with commits)

    app.register_blueprint(reports_bp)
    errors.register(app)
    security.register(app)
    heap.register(app)
    cli.register(app)
    return app


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    # The session names the user and a stamp of their password: changing it signs out every other session.
    user_id = session_id.partition(".")[0]
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active and user.get_id() == session_id else None


def _ensure_sqlite_folder(url: str) -> None:
    # A newcomer's first run must not fail because instance/ does not exist yet.
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        settings.Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
