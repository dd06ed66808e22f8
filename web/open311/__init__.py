"""Open311 GeoReport v2 under ``/open311/v2``: discovery, services, requests, in XML and JSON."""

from flask import Blueprint

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

from web.open311 import errors, routes  # noqa: E402,F401  (routes attach themselves to bp)

errors.register(bp)
