"""Open311 GeoReport v2 views: parse the parameters, call one function, render XML or JSON."""

from urllib.parse import parse_qsl

from flask import Response, current_app, request, url_for
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from web.clock import now
from web.open311 import bp, clients, georeport
from web.open311.errors import bad_request, forbidden, not_found
from web.open311.formats import FORMATS, MIME_TYPES, render
from web.transaction import commits
from workflow.services.sop import active_sop

# A POST carries a description of at most 4,000 characters and a few short fields.
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200


@bp.get("/")
def index():
    """Show a short HTML page pointing at discovery and the service list."""
    _, sop = active_sop()
    links = "".join(f'<li><a href="{escape(url_for(f"open311.{name}", fmt=fmt))}">{escape(label)}.{fmt}</a></li>'
                    for name, label in (("discovery", "discovery"), ("service_list", "services"))
                    for fmt in FORMATS)
    page = (f'<!doctype html><html lang="id"><meta charset="utf-8"><title>Open311 — {escape(sop.sop.name)}</title>'
            f"<h1>Open311 GeoReport v2</h1><p>{escape(sop.sop.name)} (jurisdiction_id <code>{escape(sop.code)}"
            f"</code>). Spesifikasi / specification: <a href=\"{georeport.SPECIFICATION}\">GeoReport v2</a>.</p>"
            f"<ul>{links}</ul></html>")
    return Response(page, content_type="text/html; charset=utf-8")


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    """Describe this endpoint: specification, URL, formats, contact and how to get a key."""
    _check_format(fmt)
    georeport.check_jurisdiction(_params().get("jurisdiction_id"))
    config = current_app.config
    base_url = config["OPEN311_BASE_URL"] or url_for("open311.index", _external=True).rstrip("/")
    return render(fmt, "discovery", georeport.discovery(
        base_url, config["OPEN311_CONTACT"], config["OPEN311_KEY_SERVICE"], config["OPEN311_ENDPOINT_TYPE"],
        [MIME_TYPES[f] for f in FORMATS]))


@bp.get("/services.<fmt>")
def service_list(fmt: str):
    """List the services: the categories of the active SOP, with keywords and group."""
    _check_format(fmt)
    sop = georeport.check_jurisdiction(_params().get("jurisdiction_id"))
    return render(fmt, "services", georeport.services(sop))


@bp.get("/services/<service_code>.<fmt>")
@bp.get("/service/<service_code>.<fmt>")  # the singular path the old `open311` 1.1 client calls
def service_definition(service_code: str, fmt: str):
    """Return a service's definition: the attributes a request may or must carry."""
    _check_format(fmt)
    sop = georeport.check_jurisdiction(_params().get("jurisdiction_id"))
    return render(fmt, "service_definition", georeport.service_definition(sop, service_code))


@bp.post("/requests.<fmt>")
@commits
def create_request(fmt: str):
    """File a service request as a complaint on channel ``open311`` (needs an ``api_key``)."""
    _check_format(fmt)
    params = georeport.Params(_body(), _query())
    georeport.check_jurisdiction(params.get("jurisdiction_id"))
    client = clients.client_for_key(params.get("api_key"))
    if client is None:
        raise forbidden("api_key tidak ada, salah, atau sudah dicabut. / The api_key is missing, wrong or revoked.")
    filed = georeport.file_request(client, params, now())
    return render(fmt, "service_requests", [georeport.receipt(filed)])


@bp.get("/requests.<fmt>")
def request_list(fmt: str):
    """List requests: by id, or by service, status and a window of at most 90 days (default the last 90)."""
    _check_format(fmt)
    params = _params()
    sop = georeport.check_jurisdiction(params.get("jurisdiction_id"))
    query = georeport.parse_query(sop, params, now())
    return render(fmt, "service_requests", georeport.find_requests(query, current_app.config["OPEN311_MAX_REQUESTS"]))


@bp.get("/requests/<service_request_id>.<fmt>")
def request_detail(service_request_id: str, fmt: str):
    """Return one request (an array of one in JSON)."""
    _check_format(fmt)
    georeport.check_jurisdiction(_params().get("jurisdiction_id"))
    return render(fmt, "service_requests", [georeport.find_request(service_request_id)])


@bp.get("/tokens/<token>.<fmt>")
def token(token: str, fmt: str):
    """Answer 404: every service is realtime, so no token is ever issued to resolve."""
    _check_format(fmt)
    georeport.check_jurisdiction(_params().get("jurisdiction_id"))
    raise not_found(f"Token '{token}' tidak dikenal: layanan ini realtime dan langsung memberi service_request_id. "
                    f"/ Unknown token: every service here is realtime and returns the service_request_id at once.")


@bp.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str):
    """Answer 404 for any other path, as an Open311 errors body."""
    raise not_found(f"'{rest}' tidak ada; lihat discovery.xml. / No such resource; see discovery.xml.")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise not_found(f"Format '{fmt}' tidak didukung; gunakan xml atau json. / Format not supported; use xml "
                        f"or json.")


def _params() -> georeport.Params:
    return georeport.Params(MultiDict(), _query())


def _query() -> MultiDict:
    return _decode(request.query_string, "query string")


def _body() -> MultiDict:
    if request.mimetype not in ("", "application/x-www-form-urlencoded"):
        raise bad_request(f"Content-Type '{request.mimetype}' tidak didukung; kirim "
                          f"application/x-www-form-urlencoded. / Send application/x-www-form-urlencoded.")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise bad_request(f"Isi permintaan lebih dari {MAX_BODY_BYTES // 1024} KB. / The body exceeds "
                          f"{MAX_BODY_BYTES // 1024} KB.")
    return _decode(request.get_data(), "body")


def _decode(raw: bytes, where: str) -> MultiDict:
    # Werkzeug would silently replace invalid UTF-8; a request that is not UTF-8 is refused instead.
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict",
                          max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise bad_request(f"{where}: bukan UTF-8 yang sah. / {where}: not valid UTF-8.") from None
    except ValueError:
        raise bad_request(f"{where}: lebih dari {MAX_FIELDS} parameter. / {where}: more than {MAX_FIELDS} "
                          f"parameters.") from None
    return MultiDict(pairs)
