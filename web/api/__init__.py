"""The JSON API under ``/api/v1``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import attachments, inbox, routes, routing  # noqa: E402,F401  (views attach themselves to bp)
