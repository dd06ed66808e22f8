"""What must hold afterwards, read from the database and the fakes' receipts (inside an app context).

Each check returns figures and a list of ``problems`` (plain sentences); an empty list is a pass.
"""

import email
import re
import time
from collections import Counter
from collections.abc import Iterable
from email import policy

from sqlalchemy import func, select

from tests.fakes.lapor_hub import FakeLaporHub
from tests.fakes.sms_gateway import FakeGateway
from tests.fakes.smtp_server import FakeSmtpServer
from tests.reliability.harness import MAIL_FROM, NotReady, wait_until
from tests.reliability.load import LoadResult
from workflow.db import db
from workflow.models import Clock, Complaint, ComplaintEvent, Notice, OutboxMessage, SlaMark
from workflow.notifications.listener import notice_keys
from workflow.notifications.senders import message_id
from workflow.services import audit

KEY_IN_DESCRIPTION = re.compile(r"Kunci / key: (\S+)$")
# What one sweep pass writes for a verification clock long past twice its limit.
SWEEP_ACTIONS = {"sla_warning": 1, "sla_breach": 1, "sla_level2": 1, "escalate": 2, "ombudsman_notice": 1}
SWEEP_MARKS = 3  # warning, breach, level 2


def complaints_of(tag: str) -> list[tuple[int, str, str]]:
    """Return (id, tracking code, key) of every complaint a load ``tag`` filed, duplicates included."""
    db.session.rollback()  # a fresh snapshot: the services wrote since the last look
    rows = db.session.execute(select(Complaint.id, Complaint.tracking_code, Complaint.description)
                              .where(Complaint.title.startswith(f"[{tag}] "))).all()
    return [(id_, code, KEY_IN_DESCRIPTION.search(description).group(1)) for id_, code, description in rows]


def check_filings(result: LoadResult, inapp_per_complaint: int) -> dict:
    """Compare the database with what the clients were told, and each complaint with what filing writes.

    Exactly once: one complaint per key, each acknowledged one with the id and tracking code the
    client got, none that no client was told about. Nothing half-applied: each has its filing and
    clock-start audit events, its verification clock and its messages (SMS, e-mail when given, one
    in-app notice per administrator) — all written in one transaction, or none.
    """
    problems: list[str] = []
    found = complaints_of(result.tag)
    per_key = Counter(key for _, _, key in found)
    by_key = {key: (id_, code) for id_, code, key in found}
    duplicates = sum(count - 1 for count in per_key.values() if count > 1)
    acknowledged = {f.key: f for f in result.acknowledged}
    lost = [key for key in acknowledged if key not in by_key]
    mismatched = [key for key, f in acknowledged.items()
                  if key in by_key and by_key[key] != (f.complaint_id, f.tracking_code)]
    untold = [key for key in by_key if key not in acknowledged]
    unanswered = [f.key for f in result.filings if f.status is None]
    refused = [(f.key, f.status) for f in result.filings if f.status is not None and not f.acknowledged]
    for label, items in (("duplicate complaints", [k for k, n in per_key.items() if n > 1]),
                         ("acknowledged but not in the database", lost),
                         ("id or tracking code differs from the acknowledgement", mismatched),
                         ("in the database but no client was told", untold),
                         ("never answered", unanswered), ("refused", refused)):
        if items:
            problems.append(f"{len(items)} {label}: {items[:5]}")

    ids = [id_ for id_, _, _ in found]
    events = _count_by(ComplaintEvent.complaint_id, ComplaintEvent.action, ids)
    clocks = _count_by(Clock.complaint_id, Clock.kind, ids)
    messages = _filing_messages(ids)
    wants_email = {by_key[f.key][0]: f.email for f in result.filings if f.key in by_key}
    half = []
    for complaint_id in ids:
        expected = {("events", "file"): 1, ("events", "clock_start"): 1, ("clocks", "verification"): 1,
                    ("messages", "sms"): 1, ("messages", "email"): int(wants_email.get(complaint_id, False)),
                    ("messages", "inapp"): inapp_per_complaint}
        got = {("events", a): events.get((complaint_id, a), 0) for a in ("file", "clock_start")}
        got[("clocks", "verification")] = clocks.get((complaint_id, "verification"), 0)
        got |= {("messages", k): messages.get((complaint_id, k), 0) for k in ("sms", "email", "inapp")}
        if got != expected:
            half.append((complaint_id, {k: v for k, v in got.items() if v != expected[k]}))
    if half:
        problems.append(f"{len(half)} complaints half-applied or doubled (differs from one filing): {half[:3]}")
    return {"acknowledged": len(acknowledged), "found": len(found), "distinct_keys": len(per_key),
            "duplicates": duplicates, "lost": len(lost), "untold": len(untold), "half_applied": len(half),
            "problems": problems}


def check_audit_trail() -> dict:
    """Recompute every complaint's audit hash chain (``flask audit verify``)."""
    db.session.rollback()
    checked, broken = audit.verify()
    problems = [f"audit chain broken at complaint {broken.complaint_id}: {broken.problem}"] if broken else []
    return {"audit_events_verified": checked, "problems": problems}


def wait_delivered(complaint_ids: Iterable[int], stall_seconds: float = 60) -> None:
    """Wait until no message about these complaints is pending; fail if none was delivered for ``stall_seconds``.

    A backlog of thousands takes minutes to send, so the deadline is on progress, not on the total.
    """
    ids = list(complaint_ids)
    state = {"pending": None, "since": time.monotonic()}

    def drained() -> bool:
        db.session.rollback()
        pending = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.complaint_id.in_(ids), OutboxMessage.status == "pending"))
        if state["pending"] is None or pending < state["pending"]:
            state["pending"], state["since"] = pending, time.monotonic()
        elif time.monotonic() - state["since"] > stall_seconds:
            raise NotReady(f"no message delivered for {stall_seconds:g} s; {pending} still pending")
        return pending == 0

    wait_until(drained, f"the outbox delivers the messages of {len(ids)} complaints", 24 * 3600, interval=0.2)


def check_delivery(complaint_ids: Iterable[int], gateway: FakeGateway, smtp: FakeSmtpServer,
                   hub: FakeLaporHub | None = None, email_resends_allowed: bool = False) -> dict:
    """Check that every message about these complaints was delivered, and kept once by its receiver.

    Once: the SMS gateway keeps one message per key and no two with the same number and text (a new
    key per retry would show as two); each in-app notice exists once; the hub holds one transfer per
    complaint. SMTP has no idempotency key: an e-mail whose mark was lost (the worker or the database
    died between the mail server's acceptance and the commit) is sent again with the same Message-ID,
    which mail systems show as one message; such resends are counted, and are a problem only where
    ``email_resends_allowed`` is false (no fault could have caused one).
    """
    ids = list(complaint_ids)
    db.session.rollback()
    rows = db.session.execute(select(OutboxMessage.kind, OutboxMessage.key, OutboxMessage.status,
                                     OutboxMessage.attempts, OutboxMessage.payload)
                              .where(OutboxMessage.complaint_id.in_(ids))).all()
    problems: list[str] = []
    status = Counter((kind, state) for kind, _, state, _, _ in rows)
    undelivered = {f"{kind} {state}": n for (kind, state), n in status.items() if state != "delivered"}
    if undelivered:
        problems.append(f"messages not delivered: {undelivered}")
    keys = {kind: {key for k, key, *_ in rows if k == kind} for kind in ("sms", "email", "inapp", "lapor_transfer")}

    kept = {key: message for key, message in dict(gateway.kept).items() if key in keys["sms"]}
    same_text = Counter((m["to"], m["text"]) for m in kept.values())
    if missing := keys["sms"] - set(kept):
        problems.append(f"{len(missing)} SMS delivered by the outbox but not kept by the gateway")
    if doubled := [pair for pair, n in same_text.items() if n > 1]:
        problems.append(f"{len(doubled)} SMS texts kept twice under different keys")

    with smtp.lock:
        received = list(smtp.received)
    ids_seen = Counter(email.message_from_bytes(data, policy=policy.default)["Message-ID"] for _, data in received)
    wanted = {message_id(key, MAIL_FROM) for key in keys["email"]}
    mail_counts = {mid: ids_seen.get(mid, 0) for mid in wanted}
    if missing_mail := [mid for mid, n in mail_counts.items() if n == 0]:
        problems.append(f"{len(missing_mail)} e-mails never reached the mail server")
    resent_mail = [mid for mid, n in mail_counts.items() if n > 1]

    if resent_mail and not email_resends_allowed:
        problems.append(f"{len(resent_mail)} e-mails reached the mail server more than once")

    owed = {key for kind, message_key, _, _, payload in rows if kind == "inapp"
            for _, key in notice_keys(message_key, payload)}
    notices = Counter(db.session.scalars(select(Notice.key).where(Notice.key.in_(owed))).all()) if owed else Counter()
    if len(notices) != len(owed):
        problems.append(f"{len(owed) - len(notices)} in-app notices missing")

    figures = {"messages": len(rows), "by_kind": dict(Counter(kind for kind, *_ in rows)),
               "delivered": sum(state == "delivered" for _, _, state, _, _ in rows),
               "attempts_total": sum(attempts for _, _, _, attempts, _ in rows),
               "retried_messages": sum(attempts > 1 for _, _, _, attempts, _ in rows),
               "sms_kept_once": len(kept), "emails_received_once": sum(n == 1 for n in mail_counts.values()),
               "emails_resent_same_message_id": len(resent_mail),
               "inapp_notices_once": len(notices)}
    if hub is not None and keys["lapor_transfer"]:
        transfers = {key: hub.transfers.get(key) for key in keys["lapor_transfer"]}
        per_complaint = Counter(t["payload"]["source_ref"] for t in hub.transfers.values())
        codes = set(db.session.scalars(select(Complaint.tracking_code).where(Complaint.id.in_(ids))).all())
        if missing_hub := [key for key, t in transfers.items() if t is None]:
            problems.append(f"{len(missing_hub)} transfers never reached the hub")
        if doubled_hub := [code for code in codes if per_complaint.get(code, 0) > 1]:
            problems.append(f"{len(doubled_hub)} complaints transferred to the hub more than once")
        figures["hub_transfers_once"] = sum(per_complaint.get(code, 0) == 1 for code in codes)
    figures["problems"] = problems
    return figures


def check_swept(complaint_ids: Iterable[int]) -> dict:
    """Check that each complaint, long past its verification deadline, got each sweep action exactly once."""
    ids = list(complaint_ids)
    db.session.rollback()
    events = _count_by(ComplaintEvent.complaint_id, ComplaintEvent.action, ids)
    marks = dict(db.session.execute(
        select(Clock.complaint_id, func.count(SlaMark.id)).join(SlaMark, SlaMark.clock_id == Clock.id)
        .where(Clock.complaint_id.in_(ids)).group_by(Clock.complaint_id)).all())
    wrong = []
    for complaint_id in ids:
        got = {action: events.get((complaint_id, action), 0) for action in SWEEP_ACTIONS}
        if got != SWEEP_ACTIONS or marks.get(complaint_id, 0) != SWEEP_MARKS:
            wrong.append((complaint_id, got, marks.get(complaint_id, 0)))
    doubled = [w for w in wrong if any(n > SWEEP_ACTIONS[a] for a, n in w[1].items()) or w[2] > SWEEP_MARKS]
    missing = [w for w in wrong if w not in doubled]
    problems = []
    if doubled:
        problems.append(f"{len(doubled)} complaints with a sweep event or mark twice: {doubled[:3]}")
    if missing:
        problems.append(f"{len(missing)} complaints missing a sweep event or mark: {missing[:3]}")
    return {"swept_complaints": len(ids) - len(wrong), "sweep_events": sum(
        n for (cid, action), n in events.items() if action in SWEEP_ACTIONS),
        "marks": sum(marks.values()), "doubled": len(doubled), "missing": len(missing), "problems": problems}


def marks_of(complaint_ids: Iterable[int]) -> int:
    """Return how many SLA marks these complaints' clocks have now."""
    db.session.rollback()
    return db.session.scalar(select(func.count(SlaMark.id)).join(Clock, SlaMark.clock_id == Clock.id)
                             .where(Clock.complaint_id.in_(list(complaint_ids))))


def _filing_messages(ids: list[int]) -> dict[tuple[int, str], int]:
    # Only the messages of the filing event (keys "notify:<event id>:…"); a sweep adds its own later.
    if not ids:
        return {}
    filing_event = dict(db.session.execute(select(ComplaintEvent.complaint_id, func.min(ComplaintEvent.id))
                                           .where(ComplaintEvent.complaint_id.in_(ids), ComplaintEvent.action == "file")
                                           .group_by(ComplaintEvent.complaint_id)).all())
    counts: Counter = Counter()
    for complaint_id, kind, key in db.session.execute(
            select(OutboxMessage.complaint_id, OutboxMessage.kind, OutboxMessage.key)
            .where(OutboxMessage.complaint_id.in_(ids))):
        if key.startswith(f"notify:{filing_event.get(complaint_id)}:"):
            counts[(complaint_id, kind)] += 1
    return dict(counts)


def _count_by(column, kind_column, ids: list[int]) -> dict[tuple[int, str], int]:
    if not ids:
        return {}
    rows = db.session.execute(select(column, kind_column, func.count()).where(column.in_(ids))
                              .group_by(column, kind_column)).all()
    return {(owner, kind): number for owner, kind, number in rows}
