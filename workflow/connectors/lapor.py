"""The SP4N-LAPOR! connector: transfers out, complaints in, and status changes back to the hub.

Outbound: a ``transfer_out`` whose target is the hub (``SP4N-LAPOR!``, any spelling) queues a
``lapor_transfer`` outbox message in the same transaction; ``flask outbox deliver`` sends it with
its key as the ``Idempotency-Key`` and, once the hub accepts, records the hub's tracking ID in the
complaint's ``external_ref`` with a ``lapor_delivered`` audit event. A hub that is down, slow or
erroring only delays it (retries with back-off); the key keeps a retry from filing it twice.

Inbound: :func:`pull` (``flask lapor pull``) imports the reports the hub dispositioned to the
regency as channel ``lapor``, once each: the hub's ID is the complaint's ``external_ref``, unique
per channel. Every public state change of such a complaint queues a ``lapor_status`` message, and
those reach the hub in order.

The HTTP shapes live in :mod:`workflow.connectors.lapor_payloads`.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from workflow.connectors import lapor_payloads as payloads
from workflow.connectors.common import noting_source_category, sop_category
from workflow.db import db
from workflow.domain.errors import DomainError
from workflow.domain.states import Action, Channel, Role
from workflow.models import Complaint, ComplaintEvent, OutboxMessage
from workflow.services import hooks, outbox
from workflow.services.inputs import NewComplaint, parse
from workflow.services.intake import file_complaint
from workflow.services.queries import zone_of
from workflow.services.sop import sop_of

TRANSFER, STATUS = "lapor_transfer", "lapor_status"
INTEGRATION = "lapor"
# Each pull asks again for a day before the newest import: a report the hub filed late is not missed,
# and the ones already here are recognised by their hub ID.
PULL_OVERLAP = timedelta(days=1)


class HubUnavailable(Exception):
    """The hub could not be reached, did not answer in time, or failed (5xx): try again later."""


class HubRejected(outbox.Undeliverable):
    """The hub refused the request itself (4xx other than auth and rate limits): retrying cannot help."""


class LaporHub(Protocol):
    """What Aduflow needs from the SP4N-LAPOR! hub."""

    def send_transfer(self, payload: dict, idempotency_key: str) -> str:
        """File ``payload`` as a new hub report; return the hub's tracking ID (the same on a retried key)."""
        ...

    def push_status(self, hub_id: str, payload: dict, idempotency_key: str) -> None:
        """Record a status change on the hub report ``hub_id``."""
        ...

    def fetch_new(self, since: datetime | None) -> list[dict]:
        """Return the reports dispositioned to the regency at or after ``since`` (all when None)."""
        ...


class HttpLaporHub:
    """The hub over HTTPS: bearer token, JSON bodies, ``Idempotency-Key`` on every write."""

    def __init__(self, base_url: str, token: str, timeout: float = 10, agency_id: str = "",
                 transport: httpx.BaseTransport | None = None):
        self.base_url, self.token, self.timeout, self.agency_id = base_url.rstrip("/"), token, timeout, agency_id
        self.transport = transport
        self._http: httpx.Client | None = None

    def send_transfer(self, payload: dict, idempotency_key: str) -> str:
        """File ``payload`` as a new hub report; return the hub's tracking ID."""
        answer = self._request("POST", payloads.TRANSFERS_PATH, json=payload, idempotency_key=idempotency_key)
        reference = payloads.reference_of(answer)
        if reference is None:
            raise HubUnavailable("the hub accepted the transfer without a tracking_id")
        return reference

    def push_status(self, hub_id: str, payload: dict, idempotency_key: str) -> None:
        """Record a status change on the hub report ``hub_id``."""
        self._request("POST", payloads.STATUS_PATH.format(hub_id=hub_id), json=payload,
                      idempotency_key=idempotency_key)

    def fetch_new(self, since: datetime | None) -> list[dict]:
        """Return the reports dispositioned to the regency at or after ``since``, following the pages."""
        params: dict[str, str] = {}
        if self.agency_id:
            params["agency"] = self.agency_id
        if since is not None:
            params["since"] = since.isoformat()
        reports: list[dict] = []
        for _ in range(1000):  # a bound, so a hub that repeats its cursor cannot keep us here
            try:
                items, cursor = payloads.inbox_page(self._request("GET", payloads.INBOX_PATH, params=params))
            except ValueError as error:
                raise HubUnavailable(str(error)) from None
            reports.extend(items)
            if cursor is None:
                break
            params["cursor"] = cursor
        return reports

    def _request(self, method: str, path: str, json: dict | None = None, params: dict | None = None,
                 idempotency_key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if self._http is None:
            # One client for the worker's life: building one loads the CA bundle (≈50 ms of CPU per call).
            self._http = httpx.Client(base_url=self.base_url, timeout=self.timeout, transport=self.transport)
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException:
            raise HubUnavailable(f"the hub did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise HubUnavailable(f"the hub is unreachable: {error}") from None
        status = response.status_code
        # A bad token or a rate limit is fixed on our side or by waiting, not by dropping the message.
        if status >= 500 or status in (401, 403, 408, 429):
            raise HubUnavailable(f"the hub answered {status}: {response.text[:300]}")
        if status >= 400:
            raise HubRejected(f"the hub refused the request ({status}): {response.text[:500]}")
        try:
            return response.json()
        except ValueError:
            raise HubUnavailable(f"the hub answered {status} with a body that is not JSON") from None


def hub_from_config(config: Mapping[str, Any]) -> HttpLaporHub | None:
    """Return the hub ``LAPOR_BASE_URL`` names, or None while it is not set (the connector is off)."""
    if not config.get("LAPOR_BASE_URL"):
        return None
    return HttpLaporHub(config["LAPOR_BASE_URL"], config.get("LAPOR_TOKEN", ""),
                        float(config.get("LAPOR_TIMEOUT_SECONDS", 10)), config.get("LAPOR_AGENCY_ID", ""))


# --- outbound: queued in the transaction of the change --------------------------------------------

@hooks.on_change
def queue_hub_messages(complaint: Complaint, event: ComplaintEvent) -> None:
    """Queue what the hub must hear of ``event``: a transfer to it, or a LAPOR! complaint's new state."""
    if complaint.channel == Channel.lapor.value:
        if not event.internal and event.to_state is not None and complaint.external_ref:
            # Random, not derived: every status change is its own message, even two in one second.
            key = f"{payloads.SOURCE_SYSTEM}:{complaint.tracking_code}:status:{uuid.uuid4().hex}"
            outbox.enqueue(STATUS, key, payloads.status(complaint, event, zone_of(complaint)), event.at,
                           complaint_id=complaint.id, recipient=payloads.HUB_NAME)
    elif event.action == Action.transfer_out.value and complaint.transfer_target == payloads.HUB_NAME:
        category = sop_of(complaint.sop_version).category(complaint.category_code)
        payload = payloads.transfer(complaint, category.name if category else None, event.comment, event.at,
                                    zone_of(complaint))
        # A complaint reaches the hub at most once: transferred is a final state.
        key = f"{payloads.SOURCE_SYSTEM}:{complaint.tracking_code}:transfer"
        outbox.enqueue(TRANSFER, key, payload, event.at, complaint_id=complaint.id, recipient=payloads.HUB_NAME)


class TransferSender:
    """Delivers a ``lapor_transfer`` and records the hub's tracking ID on the complaint."""

    def __init__(self, hub: LaporHub):
        self.hub = hub

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        """Send the transfer; on acceptance store the reference and write the ``lapor_delivered`` event."""
        reference = self.hub.send_transfer(message.payload, idempotency_key=message.key)
        complaint = db.session.get(Complaint, message.complaint_id)
        complaint.external_ref = reference
        db.session.add(ComplaintEvent(
            complaint_id=complaint.id, at=now, actor_id=None, actor_role=Role.system.value, action="lapor_delivered",
            comment=f"Diterima SP4N-LAPOR! dengan nomor {reference}. / Accepted by SP4N-LAPOR! as {reference}.",
            internal=False, details={"reference": reference, "attempts": message.attempts, "outbox_key": message.key}))

    def give_up(self, message: OutboxMessage, now: datetime) -> None:
        """Tell the administrator, in the audit trail, that the hub never accepted the transfer."""
        db.session.add(ComplaintEvent(
            complaint_id=message.complaint_id, at=now, actor_id=None, actor_role=Role.system.value,
            action="lapor_failed", internal=True,
            comment="SP4N-LAPOR! tidak menerima pengalihan ini; periksa lalu jalankan `flask outbox retry`. / "
                    "SP4N-LAPOR! did not accept this transfer; check, then run `flask outbox retry`.",
            details={"attempts": message.attempts, "last_error": message.last_error, "outbox_key": message.key}))


class StatusSender:
    """Delivers a ``lapor_status`` to the hub report the complaint came from."""

    def __init__(self, hub: LaporHub):
        self.hub = hub

    def __call__(self, message: OutboxMessage, now: datetime) -> None:
        """Push the status change."""
        self.hub.push_status(message.payload["tracking_id"], message.payload, idempotency_key=message.key)


@outbox.register_senders
def senders(config: Mapping[str, Any]) -> dict[str, outbox.Sender]:
    """Return the hub's senders, or none while ``LAPOR_BASE_URL`` is not set (messages wait, untouched)."""
    hub = hub_from_config(config)
    return {TRANSFER: TransferSender(hub), STATUS: StatusSender(hub)} if hub else {}


# --- inbound: reports the hub dispositioned to the regency ----------------------------------------

@dataclass
class PullReport:
    """What one pull did: complaints imported, reports already here, and reports refused with the reason."""

    since: datetime | None
    imported: list[Complaint] = field(default_factory=list)
    already_imported: int = 0
    refused: dict[str, str] = field(default_factory=dict)


def pull(hub: LaporHub, now: datetime, since: datetime | None = None) -> PullReport:
    """Import the hub's new reports for the regency as ``lapor`` complaints, each once (flush only).

    Without ``since`` it asks from a day before the newest LAPOR! complaint here. A report that
    cannot be read is named in ``refused`` and the others still come in.
    """
    if since is None:
        latest = db.session.scalar(select(func.max(Complaint.received_at)).filter_by(channel=Channel.lapor.value))
        since = latest - PULL_OVERLAP if latest else None
    report = PullReport(since=since)
    for raw in hub.fetch_new(since):
        hub_id = str(raw.get("tracking_id", "?")) if isinstance(raw, dict) else "?"
        try:
            with db.session.begin_nested():
                complaint = _import(raw, now)
        except DomainError as error:
            report.refused[hub_id] = _explain(error)
            continue
        except IntegrityError:
            complaint = None  # another pull imported it a moment ago
        if complaint is None:
            report.already_imported += 1
        else:
            report.imported.append(complaint)
    return report


def _import(raw: Any, now: datetime) -> Complaint | None:
    hub = payloads.hub_report(raw)
    if db.session.scalar(select(Complaint.id).filter_by(channel=Channel.lapor.value, external_ref=hub.tracking_id)):
        return None
    category, known = sop_category(hub.category)
    description = hub.content if known else noting_source_category(hub.content, hub.category, payloads.HUB_NAME)
    # The regency's clock starts when the hub dispositioned the report to it (never in our future).
    received_at = min(hub.dispositioned_at, now)
    new = parse(NewComplaint, payloads.new_complaint(hub, category, description, received_at))
    return file_complaint(new, None, now, integration=INTEGRATION).complaint


def _explain(error: DomainError) -> str:
    problems = "; ".join(f"{field}: {problem}" for field, problem in error.details.items())
    return f"{error.message} ({problems})" if problems else error.message
