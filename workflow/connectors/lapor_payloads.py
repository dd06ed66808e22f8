"""What Aduflow and the SP4N-LAPOR! hub send each other: the one module to change for the real API.

The hub's API is not public. These shapes follow the fields of a LAPOR! report (domain.md §4.5):
its tracking ID, title, body (the chronology), event date, location, target agency, category,
the anonymous and confidential toggles and the reporter (name, phone or e-mail); plus what the
engine adds (channel, time received, status). Paths, field names and status labels are our
assumption; when the real API is known, only this module and the fake hub in the tests change.

Times travel as ISO-8601 with the regency's offset (WITA, ``+08:00``); inbound times must carry
an offset.
"""

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from workflow.domain.states import Channel, State
from workflow.models import Complaint, ComplaintEvent
from workflow.services.inputs import LAPOR_HUB, parse

HUB_NAME = LAPOR_HUB
SOURCE_SYSTEM = "aduflow"
TRANSFERS_PATH = "/api/v1/transfers"
STATUS_PATH = "/api/v1/reports/{hub_id}/status"
INBOX_PATH = "/api/v1/reports"

# Our states in LAPOR!'s status vocabulary (domain.md §2.2–2.3).
HUB_STATUS = {
    State.received: "Belum Terverifikasi",
    State.pending_info: "Tertunda",
    State.dispositioned: "Terdisposisi – Belum Ditindaklanjuti",
    State.in_progress: "Terdisposisi – Sedang Diproses",
    State.returned: "Bukan Wewenang",
    State.responded: "Terdisposisi – Sudah Ditindaklanjuti",
    State.closed: "Terdisposisi – Selesai",
    State.transferred: "Bukan Wewenang – Diteruskan",
    State.archived: "Arsip",
}


def transfer(complaint: Complaint, category_name: str | None, reason: str | None, transferred_at: datetime,
             tz: ZoneInfo) -> dict:
    """Return the new hub report for a complaint transferred to SP4N-LAPOR!.

    A hidden identity stays here: an anonymous reporter's name and contact are not sent.
    """
    return {
        "source_system": SOURCE_SYSTEM,
        "source_ref": complaint.tracking_code,
        "title": complaint.title,
        "content": complaint.description,
        "event_date": complaint.occurred_on.isoformat() if complaint.occurred_on else None,
        "location": {"address": complaint.address, "village": complaint.desa, "district": complaint.kecamatan,
                     "lat": complaint.lat, "lng": complaint.lng},
        "category": category_name,
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "reporter": None if complaint.anonymous else {
            "name": complaint.reporter_name, "phone": complaint.reporter_phone, "email": complaint.reporter_email},
        "channel": complaint.channel,
        "received_at": _local(complaint.received_at, tz),
        "transfer_reason": reason,
        "transferred_at": _local(transferred_at, tz),
    }


def reference_of(answer: Any) -> str | None:
    """Return the hub's tracking ID from its answer to a transfer, if it gave one."""
    if isinstance(answer, dict) and answer.get("tracking_id") not in (None, ""):
        return str(answer["tracking_id"])
    return None


def status(complaint: Complaint, event: ComplaintEvent, tz: ZoneInfo) -> dict:
    """Return the status update for the hub report a LAPOR! complaint came from."""
    state = State(event.to_state)
    return {
        "tracking_id": complaint.external_ref,
        "source_system": SOURCE_SYSTEM,
        "source_ref": complaint.tracking_code,
        "status": state.value,
        "status_label": HUB_STATUS[state],
        "action": event.action,
        "comment": event.comment,
        "transfer_target": complaint.transfer_target if state is State.transferred else None,
        "changed_at": _local(event.at, tz),
    }


def inbox_page(answer: Any) -> tuple[list, str | None]:
    """Return the reports on one page of the hub's inbox and the cursor of the next page (None at the end)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        raise ValueError("the hub's answer has no 'items' list")
    return answer["items"], answer.get("next_cursor") or None


class _HubModel(BaseModel):
    # The real hub sends more than we read; unknown fields are ignored, never refused.
    model_config = ConfigDict(extra="ignore")


class HubLocation(_HubModel):
    """Where the reported problem is."""

    address: str | None = None
    village: str | None = None
    district: str | None = None
    lat: float | None = None
    lng: float | None = None


class HubReporter(_HubModel):
    """Who reported, when the report is not anonymous."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


class HubReport(_HubModel):
    """A report the hub dispositioned to the regency."""

    tracking_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    title: str | None = None
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    event_date: date | None = None
    location: HubLocation = Field(default_factory=HubLocation)
    category: str | None = None
    anonymous: bool = False
    confidential: bool = False
    reporter: HubReporter | None = None
    dispositioned_at: AwareDatetime

    @field_validator("tracking_id", mode="before")
    @classmethod
    def _numbers_are_ids_too(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


def hub_report(raw: Any) -> HubReport:
    """Read one inbox report or raise :class:`InvalidInput` naming each bad field."""
    return parse(HubReport, raw)  # type: ignore[arg-type]


def new_complaint(report: HubReport, category: str, description: str, received_at: datetime) -> dict:
    """Return the intake input (``NewComplaint`` fields) for a hub report, channel ``lapor``."""
    reporter = report.reporter or HubReporter()
    return {
        "title": (report.title or report.content.splitlines()[0]).strip()[:200],
        "description": description,
        "category": category,
        "location": {"desa": report.location.village, "kecamatan": report.location.district,
                     "address": report.location.address, "lat": report.location.lat, "lng": report.location.lng},
        "occurred_on": report.event_date,
        "reporter": {k: v for k, v in {"name": reporter.name, "phone": reporter.phone,
                                       "email": reporter.email}.items() if v},
        "anonymous": report.anonymous,
        "confidential": report.confidential,
        "channel": Channel.lapor.value,
        "received_at": received_at,
        "external_ref": report.tracking_id,
    }


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None
