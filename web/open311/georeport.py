"""Open311 GeoReport v2 over the workflow: services from the active SOP, service requests from complaints.

What a request shows, and what it never shows:

* ``service_request_id`` is the tracking code; ``status`` is ``closed`` for closed, transferred and
  archived complaints and ``open`` for every other state; ``expected_datetime`` is the running
  resolution deadline (the verification deadline before verification); ``status_notes`` is the
  last note staff wrote on a public step — internal events and the reporter's own words never.
* Reporter fields (name, phone, email) are never published, anonymous or not.
* Confidential complaints never appear: not in lists, and ``requests/{id}`` answers 404.
* Content (description, address, coordinates, media, status notes) is published only once the
  administrator has confirmed the confidentiality decision at verification; until then the request
  shows its service, status and dates only.

What is published, and when, is decided once for every public surface in
``workflow/services/publication.py``.

The functions here take the parsed parameters and ``now`` and flush, never commit; views commit.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from sop import Sop
from web.open311.errors import bad_request, not_found
from workflow.db import db
from workflow.domain.states import FINAL_STATES, OPEN_STATES, Channel, ClockKind, ClockStatus, Role, State
from workflow.models import Clock, Complaint, ComplaintEvent, Open311Client, SopVersion
from workflow.services import bulk, publication
from workflow.services.inputs import NewComplaint, parse
from workflow.services.intake import Filed, file_complaint
from workflow.services.queries import local, zone_of
from workflow.services.sop import active_sop, sop_of

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DESCRIPTION = 4000
MAX_WINDOW = timedelta(days=90)
MAX_MEDIA_URL = 2000
TITLE_LENGTH = 200
# The internal event that keeps what an Open311 client sent beyond the complaint's own columns.
REQUEST_EVENT = "open311_request"
YES_NO = [{"key": "true", "name": "Ya / Yes"}, {"key": "false", "name": "Tidak / No"}]
IMPACTS = [
    {"key": "keselamatan", "name": "Membahayakan keselamatan / Endangers safety"},
    {"key": "kesehatan", "name": "Mengganggu kesehatan / Harms health"},
    {"key": "ekonomi", "name": "Merugikan penghasilan / Causes economic loss"},
    {"key": "akses", "name": "Menghambat akses ke layanan / Blocks access to services"},
]
UNVERIFIED_NOTICE = "isi ditampilkan setelah diverifikasi / content shown once verified"
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Params:
    """Form parameters from the body and the query string; a body value wins, an empty one counts as absent."""

    def __init__(self, body: MultiDict, query: MultiDict):
        self.sources = (body, query)

    def get(self, name: str) -> str | None:
        """Return the first non-empty value of ``name``, stripped, or None."""
        for source in self.sources:
            for value in source.getlist(name):
                if value.strip():
                    return value.strip()
        return None

    def attributes(self) -> dict[str, list[str]]:
        """Return the non-empty ``attribute[CODE]`` and ``attribute[CODE][]`` values by code."""
        found: dict[str, list[str]] = {}
        for source in self.sources:
            for key in source:
                match = _ATTRIBUTE_KEY.match(key)
                if match:
                    values = [v.strip() for v in source.getlist(key) if v.strip()]
                    if values:
                        found.setdefault(match.group(1), []).extend(values)
        return found


# --- jurisdiction, discovery, services ---------------------------------------------------------


def check_jurisdiction(jurisdiction_id: str | None) -> Sop:
    """Return the active SOP; a ``jurisdiction_id`` may be omitted (one jurisdiction) but must match if given."""
    _, sop = active_sop()
    if jurisdiction_id is not None and jurisdiction_id.casefold() != sop.code.casefold():
        raise not_found(f"jurisdiction_id '{jurisdiction_id}' tidak dikenal; gunakan '{sop.code}'. / Unknown "
                        f"jurisdiction_id; use '{sop.code}'.")
    return sop


def discovery(base_url: str, contact: str, key_service: str, endpoint_type: str, mime_types: list[str]) -> dict:
    """Return the discovery document; its changeset moves whenever another SOP version becomes active."""
    version, sop = active_sop()
    changeset = _changeset(version, sop)
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [{"specification": SPECIFICATION, "url": base_url, "changeset": changeset,
                       "type": endpoint_type, "formats": mime_types}],
    }


def services(sop: Sop) -> list[dict]:
    """Return the service list: one service per SOP category."""
    return [{
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.description} / {category.name_en}",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(category.keywords),
        "group": category.group,
    } for category in sop.categories]


def service_definition(sop: Sop, service_code: str) -> dict:
    """Return the definition of one service: the attributes a request may carry."""
    if sop.category(service_code) is None:
        raise _unknown_service(service_code)
    return {"service_code": service_code, "attributes": attributes(sop)}


def attributes(sop: Sop) -> list[dict]:
    """Return the attributes every service asks for, the kecamatan list taken from the SOP's units."""
    kecamatan = [{"key": unit.name.removeprefix("Kecamatan ").strip(), "name": unit.name}
                 for unit in sop.units if unit.name.startswith("Kecamatan ")]
    # The kecamatan decides the resolution limit (field checks on the islands take longer) and routing.
    return [
        _attribute(1, "kecamatan", "singlevaluelist" if kecamatan else "string", required=True,
                   description="Kecamatan tempat masalah? / Which sub-district (kecamatan) is the problem in?",
                   datatype_description="Pilih satu. / Choose one.", values=kecamatan),
        _attribute(2, "desa", "string", description="Desa atau kelurahan? / Which village (desa)?",
                   datatype_description="Paling banyak 100 karakter. / At most 100 characters."),
        _attribute(3, "title", "string", description="Judul singkat / Short title",
                   datatype_description="Paling banyak 200 karakter; kosong: baris pertama uraian. / At most 200 "
                                        "characters; empty: the first line of the description."),
        _attribute(4, "dampak", "multivaluelist",
                   description="Dampak yang dirasakan? / What impact does the problem have?",
                   datatype_description="Pilih satu atau lebih. / Choose one or more.", values=IMPACTS),
        _attribute(5, "anonymous", "singlevaluelist",
                   description="Sembunyikan identitas saya dari petugas selain administrator? / Hide my identity "
                               "from everyone but the administrator?",
                   datatype_description="Pilih satu. / Choose one.", values=YES_NO),
        _attribute(6, "confidential", "singlevaluelist",
                   description="Rahasiakan isi pengaduan (tidak pernah dipublikasikan)? / Keep the complaint "
                               "confidential (never published)?",
                   datatype_description="Pilih satu. / Choose one.", values=YES_NO),
        _attribute(7, "privasi", "text", variable=False,
                   description="Nama, telepon dan surel pelapor tidak pernah ditampilkan melalui Open311; isi "
                               "pengaduan ditampilkan setelah diverifikasi. / The reporter's name, phone and "
                               "email are never shown through Open311; the content is shown once verified."),
    ]


def _attribute(order: int, code: str, datatype: str, description: str, required: bool = False,
               variable: bool = True, datatype_description: str = "", values: list[dict] | None = None) -> dict:
    return {"variable": variable, "code": code, "datatype": datatype, "required": required,
            "datatype_description": datatype_description or None, "order": order, "description": description,
            "values": values or []}


# --- filing ------------------------------------------------------------------------------------


def file_request(client: Open311Client, params: Params, now: datetime) -> Filed:
    """File a complaint from an Open311 POST for ``client``; raise an Open311 error naming each bad field."""
    _, sop = active_sop()
    service_code = params.get("service_code")
    if service_code is None:
        raise bad_request("service_code: wajib diisi / required")
    if sop.category(service_code) is None:
        raise _unknown_service(service_code)
    problems: list[str] = []
    lat, lng = _coordinates(params, problems)
    address = params.get("address_string")
    if lat is None and address is None and not problems:
        if params.get("address_id"):
            problems.append("address_id: tidak didukung; kirim lat+long atau address_string. / Not supported; "
                            "send lat+long or address_string.")
        else:
            problems.append("lokasi wajib: lat+long atau address_string. / A location is required: lat+long or "
                            "address_string.")
    description = params.get("description")
    if description is None:
        problems.append("description: wajib diisi / required")
    elif len(description) > MAX_DESCRIPTION:
        problems.append(f"description: paling banyak {MAX_DESCRIPTION} karakter (dikirim {len(description)}). / "
                        f"At most {MAX_DESCRIPTION} characters (sent {len(description)}).")
    values = _attribute_values(sop, params.attributes(), problems)
    media_url = params.get("media_url")
    if media_url is not None and (len(media_url) > MAX_MEDIA_URL or not re.match(r"^https?://\S+$", media_url)):
        problems.append(f"media_url: harus URL http(s) sampai {MAX_MEDIA_URL} karakter. / Must be an http(s) URL "
                        f"of at most {MAX_MEDIA_URL} characters.")
    if problems:
        raise bad_request(*problems)

    title = values.get("title", [None])[0] or _title(description)
    name = " ".join(part for part in (params.get("first_name"), params.get("last_name")) if part) or None
    new = parse(NewComplaint, {
        "title": title, "description": description, "category": service_code, "channel": Channel.open311.value,
        "location": {"lat": lat, "lng": lng, "address": address, "desa": values.get("desa", [None])[0],
                     "kecamatan": values.get("kecamatan", [None])[0]},
        "reporter": {"name": name, "phone": params.get("phone"), "email": params.get("email")},
        "anonymous": values.get("anonymous") == ["true"], "confidential": values.get("confidential") == ["true"],
    })
    filed = file_complaint(new, None, now, integration=f"open311:{client.name}")
    details = {"client": client.name, "attributes": values}
    if media_url:
        details["media_url"] = media_url
    db.session.add(ComplaintEvent(complaint_id=filed.complaint.id, at=now, actor_id=None,
                                  actor_role=Role.system.value, action=REQUEST_EVENT, internal=True,
                                  details=details))
    db.session.flush()
    return filed


def receipt(filed: Filed) -> dict:
    """Return the POST answer: the request id at once (realtime), and what happens next."""
    complaint = filed.complaint
    code = complaint.tracking_code
    clock = complaint.clock(ClockKind.verification)
    due = clock.due_at.astimezone(zone_of(complaint)).date().isoformat()
    # The PIN is shown once, here, so the client can hand it to the reporter: it lets them confirm or
    # dispute the follow-up later. It is never stored in plain text and never appears in GET answers.
    notice = (f"Pengaduan diterima dengan kode {code}; PIN pelacakan {filed.pin} (simpan, hanya ditampilkan "
              f"sekali). Diverifikasi paling lambat {due}. / Received as {code}; tracking PIN {filed.pin} (keep "
              f"it, it is shown only once). It will be verified by {due}.")
    return {"service_request_id": code, "service_notice": notice}


def _coordinates(params: Params, problems: list[str]) -> tuple[float | None, float | None]:
    raw_lat, raw_lng = params.get("lat"), params.get("long")
    if raw_lat is None and raw_lng is None:
        return None, None
    if raw_lat is None or raw_lng is None:
        problems.append("lat dan long harus dikirim berdua. / Send both lat and long.")
        return None, None
    lat = _number(raw_lat, "lat", -90, 90, problems)
    lng = _number(raw_lng, "long", -180, 180, problems)
    return (lat, lng) if lat is not None and lng is not None else (None, None)


def _number(raw: str, name: str, low: float, high: float, problems: list[str]) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        problems.append(f"{name}: harus angka WGS84 antara {low} dan {high} (dikirim '{raw[:40]}'). / Must be a "
                        f"WGS84 number between {low} and {high}.")
        return None
    return value


def _attribute_values(sop: Sop, sent: dict[str, list[str]], problems: list[str]) -> dict[str, list[str]]:
    definition = {a["code"]: a for a in attributes(sop) if a["variable"]}
    limits = {"desa": 100, "title": TITLE_LENGTH, "kecamatan": 100}
    for code, values in sent.items():
        attribute = definition.get(code)
        if attribute is None:
            problems.append(f"attribute[{code}]: atribut tidak dikenal; lihat definisi layanan. / Unknown "
                            f"attribute; see the service definition.")
            continue
        keys = [v["key"] for v in attribute["values"]]
        if attribute["datatype"] != "multivaluelist" and len(values) > 1:
            problems.append(f"attribute[{code}]: hanya satu nilai. / Only one value.")
        elif keys and any(value not in keys for value in values):
            problems.append(f"attribute[{code}]: pilih dari / choose from: {', '.join(keys)}")
        elif code in limits and len(values[0]) > limits[code]:
            problems.append(f"attribute[{code}]: paling banyak {limits[code]} karakter. / At most "
                            f"{limits[code]} characters.")
    for code, attribute in definition.items():
        if attribute["required"] and code not in sent:
            problems.append(f"attribute[{code}]: wajib diisi / required")
    return {code: values for code, values in sent.items() if code in definition}


def _title(description: str | None) -> str:
    line = (description or "").strip().splitlines()[0].strip() if description and description.strip() else ""
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1].rstrip() + "…"


def _unknown_service(service_code: str):
    return not_found(f"service_code '{service_code}' tidak dikenal; lihat services.xml. / Unknown service_code; "
                     f"see services.xml.")


# --- reading requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """What GET requests asks for; ``ids`` overrides every other filter."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def parse_query(sop: Sop, params: Params, now: datetime) -> RequestQuery:
    """Parse GET requests' filters; the window defaults to the last 90 days and never spans more."""
    ids = _comma_list(params.get("service_request_id"))
    if ids:
        return RequestQuery(ids=tuple(code.upper() for code in ids))
    codes = _comma_list(params.get("service_code"))
    for code in codes:
        if sop.category(code) is None:
            raise _unknown_service(code)
    statuses = _comma_list(params.get("status"))
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise bad_request(f"status: '{', '.join(wrong)}' tidak dikenal; pilih open, closed. / Unknown status; "
                          f"choose open, closed.")
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start is None and end is None:
        start, end = now - MAX_WINDOW, now
    elif start is None:
        start = end - MAX_WINDOW
    elif end is None:
        end = start + MAX_WINDOW
    if end < start:
        raise bad_request("end_date: harus sesudah start_date. / end_date must come after start_date.")
    if end - start > MAX_WINDOW:
        raise bad_request(f"start_date–end_date: paling lama {MAX_WINDOW.days} hari. / The window spans at most "
                          f"{MAX_WINDOW.days} days.")
    return RequestQuery(service_codes=tuple(codes), start=start, end=end, statuses=tuple(statuses))


def find_requests(query: RequestQuery, cap: int) -> list[dict]:
    """Return the requests ``query`` selects, newest first, at most ``cap``; confidential ones never."""
    select_ = select(Complaint).where(publication.published())
    if query.ids:
        select_ = select_.where(Complaint.tracking_code.in_(query.ids))
    else:
        select_ = select_.where(Complaint.received_at >= query.start, Complaint.received_at <= query.end)
        if query.service_codes:
            select_ = select_.where(Complaint.category_code.in_(query.service_codes))
        if query.statuses == ("open",):
            # Named, not "not closed": the same set, and the open complaints' own index can answer it.
            select_ = select_.where(Complaint.state.in_(sorted(s.value for s in OPEN_STATES)))
        elif query.statuses == ("closed",):
            select_ = select_.where(Complaint.state.in_([s.value for s in FINAL_STATES]))
    complaints = db.session.scalars(
        select_.options(selectinload(Complaint.unit), selectinload(Complaint.sop_version))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(cap)).all()
    ids = [c.id for c in complaints]
    events, expected = _events_of(ids), _expected_of(ids)
    return [request_view(c, events[c.id], expected.get(c.id)) for c in complaints]


def find_request(service_request_id: str) -> dict:
    """Return one request by its id (the tracking code), or raise a 404."""
    found = find_requests(RequestQuery(ids=(service_request_id.strip().upper(),)), cap=1)
    if not found:
        raise not_found(f"service_request_id '{service_request_id}' tidak ditemukan. / Unknown "
                        f"service_request_id.")
    return found[0]


def request_view(complaint: Complaint, events: list, expected: datetime | None) -> dict:
    """Shape one complaint as an Open311 request: no reporter fields, content only once verified.

    ``events`` are its public events and its Open311 request event, oldest first; ``expected`` is the deadline
    of its running resolution clock, else of its running verification clock.
    """
    tz = zone_of(complaint)
    state = State(complaint.state)
    category = sop_of(complaint.sop_version).category(complaint.category_code)
    public = [e for e in events if not e.internal]
    shown = publication.content_shown(complaint)
    media_url = next((e.details.get("media_url") for e in events if e.action == REQUEST_EVENT), None)
    updated = complaint.closed_at if state is State.closed else (public[-1].at if public else complaint.received_at)
    agency = complaint.transfer_target if state is State.transferred else (
        complaint.unit.name if complaint.unit else None)
    notice = state.label if shown else f"{state.label} ({UNVERIFIED_NOTICE})"
    address = ", ".join(part for part in (complaint.address, complaint.desa and f"Desa {complaint.desa}",
                                          complaint.kecamatan and f"Kecamatan {complaint.kecamatan}") if part)
    return {
        "service_request_id": complaint.tracking_code,
        "status": "closed" if state in FINAL_STATES else "open",
        "status_notes": publication.status_note(complaint, public),
        "service_name": category.name if category else complaint.category_code,
        "service_code": complaint.category_code,
        "description": publication.redact(complaint, complaint.description) if shown else None,
        "agency_responsible": agency,
        "service_notice": notice,
        "requested_datetime": local(complaint.received_at, tz),
        "updated_datetime": local(updated, tz),
        "expected_datetime": local(expected, tz),
        "address": (address or None) if shown else None,
        "address_id": None,
        "zipcode": None,
        "lat": complaint.lat if shown else None,
        "long": complaint.lng if shown else None,
        "media_url": media_url if shown else None,
    }


def _expected_of(complaint_ids: list[int]) -> dict[int, datetime]:
    # Only the running clocks are read (most listed complaints are closed), as plain rows: a list of a thousand
    # requests would otherwise build every clock of every complaint as an object. The ids go as one array
    # (bulk.among), not a thousand bound values to render and parse on every call.
    found: dict[int, datetime] = {}
    rows = db.session.execute(select(Clock.complaint_id, Clock.kind, Clock.due_at).where(
        bulk.among(Clock.complaint_id, complaint_ids), Clock.status == ClockStatus.running.value,
        Clock.kind.in_((ClockKind.resolution.value, ClockKind.verification.value)))) if complaint_ids else []
    for complaint_id, kind, due_at in rows:
        if kind == ClockKind.resolution.value or complaint_id not in found:
            found[complaint_id] = due_at
    return found


def _events_of(complaint_ids: list[int]) -> dict[int, list]:
    # The events publication.public_events reads (the public ones, and the request event), as plain rows with
    # the fields the request view and publication's staff notes read: a thousand requests carry thousands.
    grouped: dict[int, list] = defaultdict(list)
    if not complaint_ids:
        return grouped
    rows = db.session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.at, ComplaintEvent.action, ComplaintEvent.actor_role,
               ComplaintEvent.comment, ComplaintEvent.internal, ComplaintEvent.details)
        .where(bulk.among(ComplaintEvent.complaint_id, complaint_ids),
               or_(ComplaintEvent.internal.is_(False), ComplaintEvent.action == REQUEST_EVENT))
        .order_by(ComplaintEvent.id))
    for row in rows:
        grouped[row.complaint_id].append(row)
    return grouped


def _comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(params: Params, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    text = raw[:-1] + "+00:00" if raw[-1:] in ("Z", "z") else raw
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad_request(f"{name}: waktu W3C dengan zona, mis. 2026-03-01T00:00:00+08:00 (dikirim '{raw[:40]}'). / "
                          f"A W3C date-time with an offset, e.g. 2026-03-01T00:00:00+08:00.")
    if not 2 <= moment.year <= 9998:  # the offset and the 90-day window around it must stay in the calendar
        raise bad_request(f"{name}: tahun di luar rentang (dikirim '{raw[:40]}'). / {name}: year out of range.")
    return moment.astimezone(UTC)


def _changeset(version: SopVersion, sop: Sop) -> str:
    # Fixed width (always microseconds), so the stamps sort as text too.
    return version.loaded_at.astimezone(ZoneInfo(sop.sop.timezone)).isoformat(timespec="microseconds")
