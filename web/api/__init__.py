"""The JSON API under ``/api/v1``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The views attach themselves to bp.
from web.api import attachments, inbox, indicators, notices, routes, routing  # noqa: E402,F401
