"""Who hears of what: the listener that queues notices in the outbox, in the transaction of the change.

It runs for every filing, every action and every SLA sweep event (:mod:`workflow.services.hooks`; a
sweep's batch of events at once, copied into the outbox in one statement) and writes one outbox
message per reporter channel and one per staff notice, keyed by the audit event
(``notify:<event id>:<notice>:<channel>:<reporter | staff | staff-hidden>``): an event exists once, so
each of its messages exists once, however often a sweep or a retry runs. A staff notice's message
names everyone it tells (who read the same words); delivering it writes each one's notice (one breach
told to a unit's staff and the administrators is one message, not one per person).

* The reporter, by the contact they gave (e-mail → ``email``; phone → ``NOTIFY_REPORTER_PHONE_CHANNEL``,
  ``sms`` by default), hears of every public step: filed (with the tracking code, never the PIN),
  verified and dispositioned, information requested and the reminder, responded, closed, archived,
  transferred, reopened, and the Ombudsman route at level 2. Never of internal events. Complaints
  imported from SP4N-LAPOR! are left to the hub, which tells its own reporter.
* Staff get in-app notices (``inapp``): the unit's handlers and penghubung (the unit's and the units'
  above it) of assignments, disputes, reopenings, supplied information, warnings and breaches; the
  administrators (``admin_instansi``) of new complaints, returns and breaches, and of warnings while
  they hold a complaint; coordinators and inspectors of level 2 and of complaints bounced too often;
  escalations climb the ladder (1: penghubung + administrators, 2: coordinators + inspectors,
  3: leaders). Nobody is told of what they did themselves, and an escalation the sweep makes is not
  announced again to those its breach notice just reached.
* A hidden identity never reaches anyone but the administrators: no staff notice carries the
  reporter's contact, and for an anonymous complaint the reporter is blanked out of any free text
  (title, comments) before a notice to anyone else is written, by the rule every surface uses
  (:mod:`workflow.services.redaction`).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Row, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow.db import db
from workflow.domain.rules import Actor, can_see_identity
from workflow.domain.states import Action, Channel, ClockKind, ClockStatus, Role
from workflow.models import Complaint, ComplaintEvent, OutboxMessage, Unit, User
from workflow.notifications import templates as t
from workflow.services import bulk, hooks, outbox, reference
from workflow.services.queries import zone_of
from workflow.services.redaction import redact

EMAIL, SMS, WHATSAPP, INAPP = "email", "sms", "whatsapp", "inapp"
REPORTER = "reporter"
# The in-app messages of an event's staff notice: one to those who read it whole, one to those it hides a reporter from.
STAFF, STAFF_HIDDEN = "staff", "staff-hidden"
UNIT_ROLES = (Role.unit_admin.value, Role.penghubung.value)
LADDER = {1: (Role.penghubung.value, Role.admin_instansi.value),
          2: (Role.coordinator.value, Role.inspector.value),
          3: (Role.leader.value,)}
# Event actions (lifecycle actions and the sweep's events) → the notice the reporter gets.
REPORTER_NOTICES = {
    "file": t.FILED, Action.verify.value: t.VERIFIED, Action.request_info.value: t.INFO_REQUESTED,
    "info_reminder": t.INFO_REMINDER, Action.respond.value: t.RESPONDED, Action.confirm.value: t.CLOSED,
    Action.auto_close.value: t.CLOSED, Action.close.value: t.CLOSED, Action.archive.value: t.ARCHIVED,
    Action.mark_duplicate.value: t.ARCHIVED, Action.expire_info.value: t.ARCHIVED,
    Action.transfer_out.value: t.TRANSFERRED, Action.reopen.value: t.REOPENED, "ombudsman_notice": t.OMBUDSMAN,
}
# What the listener reads of a staff user it tells: rows, not accounts (loading a User costs more than the query),
# read on the connection (nothing the session holds needs flushing first: a notice never changes the staff).
_TOLD = (User.id, User.role)
Told = Row  # (id, role) of a staff user told of an event
_OPEN_CLOCKS = (ClockStatus.running.value, ClockStatus.breached.value)
# Per session: the active staff the current transaction has read, by role, by (unit, roles) and by audience.
_STAFF = "aduflow.notifications.staff"
# Per session: who an SLA notice reached at the sweep's moment, so its escalation does not tell them twice.
_TOLD_BY_SWEEP = "aduflow.notifications.told_by_sweep"


@hooks.on_change
def queue_notifications(complaint: Complaint, event: ComplaintEvent) -> None:
    """Queue the messages ``event`` owes the reporter and staff (flush only; sent after commit)."""
    config = current_app.config
    if config.get("NOTIFICATIONS_ENABLED"):
        _enqueue_all(_messages(complaint, event, config))


@hooks.for_many(queue_notifications)
def queue_notifications_of_many(changes) -> None:
    """Queue the messages of many events just written (an SLA sweep's batch) in one statement."""
    config = current_app.config
    if config.get("NOTIFICATIONS_ENABLED"):
        # Each event is new in this transaction, so none of its keys can be queued yet: the messages
        # are copied in without the conflict check (a repeat would still fail on the unique key).
        bulk.copy_rows(OutboxMessage.__table__, [message for complaint, event in changes
                                                 for message in _messages(complaint, event, config)])


def _messages(complaint: Complaint, event: ComplaintEvent, config: Mapping[str, Any]) -> list[dict]:
    reporter_notice = _reporter_notice(complaint, event)
    staff_notices = _staff_notices(complaint, event)
    if reporter_notice is None and not staff_notices:
        return []
    if event.id is None:
        db.session.flush()  # the event's id keys its messages
    base, queued, at = _facts(complaint, event), [], event.at.isoformat()
    if reporter_notice is not None:
        facts = replace(base, link=tracking_link(config, complaint.tracking_code),
                        due=_due(reporter_notice, complaint, event))
        rendered = t.render(reporter_notice, facts, variant=complaint.closure if reporter_notice == t.CLOSED else None)
        for channel, address in reporter_addresses(complaint, config):
            payload = {"to": address, "text": rendered.body if channel == EMAIL else rendered.text,
                       "notice": reporter_notice, "tracking_code": complaint.tracking_code, "at": at}
            if channel == EMAIL:
                payload["subject"] = rendered.subject
            queued.append(_message(channel, event, reporter_notice, REPORTER, address, complaint, payload))
    for notice, users in staff_notices:
        facts = replace(base, due=_due(notice, complaint, event))
        readers: dict[bool, list[int]] = {}  # everyone told of one event reads the same words: one message
        for user in users:
            hidden = complaint.anonymous and not can_see_identity(Actor(role=Role(user.role), user_id=user.id))
            readers.setdefault(hidden, []).append(user.id)
        for hidden, user_ids in readers.items():
            # The same blanking as every other surface: the name and its words, the phone in any form, NIKs.
            seen = replace(facts, title=redact(complaint, facts.title),
                           comment=redact(complaint, facts.comment)) if hidden else facts
            payload = {"user_ids": user_ids, "complaint_id": complaint.id, "notice": notice,
                       "text": t.render(notice, seen, variant="staff" if notice == t.REOPENED else None).text,
                       "at": at}
            queued.append(_message(INAPP, event, notice, STAFF_HIDDEN if hidden else STAFF, STAFF, complaint,
                                   payload))
    return queued


def notice_keys(message_key: str, payload: Mapping[str, Any]) -> list[tuple[int, str]]:
    """Return the (user id, notice key) of each staff user an ``inapp`` message tells.

    One message tells everyone who reads the same words of one event (``user_ids``); the notice of each
    is keyed ``notify:<event id>:<notice>:inapp:u<user id>``, so a repeated delivery finds it. A message
    queued for one user (``user_id``, before messages were shared) keys its notice with its own key, as then.
    """
    if "user_ids" not in payload:
        return [(payload["user_id"], message_key)]
    stem = message_key.rpartition(":")[0]
    return [(user_id, f"{stem}:u{user_id}") for user_id in payload["user_ids"]]


def tracking_link(config: Mapping[str, Any], tracking_code: str) -> str:
    """Return the public tracking link of a complaint."""
    return f"{config.get('PUBLIC_BASE_URL', '').rstrip('/')}/lacak/{tracking_code}"


def reporter_addresses(complaint: Complaint, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the (channel, address) pairs the reporter is reached on; none without a contact."""
    if complaint.channel == Channel.lapor.value:
        return []
    found = []
    if complaint.reporter_email:
        found.append((EMAIL, complaint.reporter_email))
    if complaint.reporter_phone:
        phone = international(complaint.reporter_phone)
        found += [(channel, phone) for channel in (config.get("NOTIFY_REPORTER_PHONE_CHANNEL") or "").split(",")
                  if channel in (SMS, WHATSAPP)]
    return found


def international(phone: str) -> str:
    """Return an Indonesian phone number in international form (0812… → +62812…)."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("+"):
        return "+" + digits[1:].replace("+", "")
    digits = digits.replace("+", "")
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return digits


# --- who hears of what ------------------------------------------------------------------------------

def _reporter_notice(complaint: Complaint, event: ComplaintEvent) -> str | None:
    if event.internal:
        return None
    return REPORTER_NOTICES.get(event.action)


# Who is told: (unit id, roles in that unit and the units above it, roles anywhere).
Audience = tuple[int | None, tuple[str, ...], tuple[str, ...]]
ADMINS = (Role.admin_instansi.value,)
COORDINATION = (Role.coordinator.value, Role.inspector.value)


def _holders(complaint: Complaint) -> Audience:
    """Return who holds the complaint now: its unit's handlers, or the administrators before disposition."""
    if complaint.unit_id is not None:
        return complaint.unit_id, UNIT_ROLES, ()
    return None, (), ADMINS


def _escalated(complaint: Complaint, details: dict) -> list[tuple[str, Audience]]:
    roles = LADDER.get(int(details.get("level") or complaint.escalation_level), ())
    return [(t.ESCALATED, (complaint.unit_id, tuple(r for r in roles if r in UNIT_ROLES),
                           tuple(r for r in roles if r not in UNIT_ROLES)))]


def _breached(complaint: Complaint, details: dict) -> list[tuple[str, Audience]]:
    # The complaint's holders and the administrators (who are its holders before disposition).
    unit_id, unit_roles, _ = _holders(complaint)
    return [(t.SLA_BREACH, (unit_id, unit_roles, ADMINS))]


def _returned(complaint: Complaint, details: dict) -> list[tuple[str, Audience]]:
    told = [(t.RETURNED, (None, (), ADMINS))]
    return [*told, (t.BOUNCE_ALERT, (None, (), COORDINATION))] if details.get("too_many_bounces") else told


# Event action → the staff notices it owes and to whom (a table: a sweep asks it for every event it writes).
STAFF_NOTICES = {
    "file": lambda c, d: [(t.NEW_COMPLAINT, (None, (), ADMINS))],
    Action.verify.value: lambda c, d: [(t.ASSIGNED, (c.unit_id, UNIT_ROLES, ()))],
    Action.redispose.value: lambda c, d: [(t.ASSIGNED, (c.unit_id, UNIT_ROLES, ()))],
    Action.return_.value: _returned,
    Action.dispute.value: lambda c, d: [(t.DISPUTED, (c.unit_id, UNIT_ROLES, ()))],
    Action.reopen.value: lambda c, d: [(t.REOPENED, (c.unit_id, UNIT_ROLES, ()))],
    Action.supply_info.value: lambda c, d: [(t.INFO_SUPPLIED, _holders(c))],
    "sla_warning": lambda c, d: [(t.SLA_WARNING, _holders(c))],
    "sla_breach": _breached,
    "sla_level2": lambda c, d: [(t.SLA_LEVEL2, (None, (), COORDINATION))],
    Action.escalate.value: _escalated,
}


def _staff_notices(complaint: Complaint, event: ComplaintEvent) -> list[tuple[str, list[Told]]]:
    owed = STAFF_NOTICES.get(event.action)
    if owed is None:
        return []
    notices = [(notice, _audience(*who)) for notice, who in owed(complaint, event.details or {})]
    return _without_repeats(complaint, event, notices)


def _without_repeats(complaint: Complaint, event: ComplaintEvent,
                     notices: list[tuple[str, list[Told]]]) -> list[tuple[str, list[Told]]]:
    skip = {event.actor_id} if event.actor_id is not None else set()
    sweeping = event.actor_role == Role.system.value
    if sweeping and event.action == Action.escalate.value:
        skip |= _told_by_sweep(complaint, event)
    kept = []
    for notice, users in notices:
        unique = [user for user in users if user.id not in skip] if skip else users
        if unique:
            kept.append((notice, unique))
        if sweeping and event.action.startswith("sla_"):
            _remember_told(complaint, event, unique)
    return kept


def _told_by_sweep(complaint: Complaint, event: ComplaintEvent) -> set[int]:
    memo = db.session.info.get(_TOLD_BY_SWEEP)
    if memo is None or memo[0] != event.at:
        return set()
    return memo[1].get(complaint.id, set())


def _remember_told(complaint: Complaint, event: ComplaintEvent, users: Iterable[Told]) -> None:
    memo = db.session.info.get(_TOLD_BY_SWEEP)
    if memo is None or memo[0] != event.at:  # one sweep's moment at a time: the memory stays small
        memo = db.session.info[_TOLD_BY_SWEEP] = (event.at, {})
    memo[1].setdefault(complaint.id, set()).update(user.id for user in users)


def _audience(unit_id: int | None, unit_roles: tuple[str, ...], roles: tuple[str, ...]) -> list[Told]:
    """Return the active staff of ``unit_roles`` in the unit (and above it) and of ``roles`` anywhere, each once.

    Read once per transaction and audience; the list is shared: read it, never change it.
    """
    audiences = _staff()[2]
    key = (unit_id, unit_roles, roles)
    if key not in audiences:
        audiences[key] = list({user.id: user for user in _unit_users(unit_id, unit_roles) + _users(*roles)}.values())
    return audiences[key]


def _users(*roles: str) -> list[Told]:
    if not roles:
        return []
    by_role = _staff()[0]
    missing = sorted({role for role in roles if role not in by_role})
    if missing:
        # Only the roles asked for: a filing tells the administrators, and a regency has hundreds of other staff.
        by_role.update((role, []) for role in missing)
        for user in reference.kept(("staff by role", tuple(missing)), lambda: db.session.connection().execute(
                select(*_TOLD).where(User.active.is_(True), User.role.in_(missing)).order_by(User.id)).all()):
            by_role[user.role].append(user)
    return [user for role in sorted(roles) for user in by_role[role]]


def _unit_users(unit_id: int | None, roles: Iterable[str]) -> list[Told]:
    roles = tuple(roles)
    if unit_id is None or not roles:
        return []
    by_unit = _staff()[1]
    key = (unit_id, roles)
    if key not in by_unit:  # a sweep asks the same few units thousands of times
        found = reference.kept(("staff of unit", unit_id, roles), lambda: db.session.connection().execute(
            select(*_TOLD).where(User.active.is_(True), User.role.in_(roles),
                                 User.unit_id.in_(_unit_and_above(unit_id))).order_by(User.id)).all())
        by_unit[key] = [user for role in sorted(roles) for user in found if user.role == role]
    return by_unit[key]


def _staff() -> tuple[dict[str, list[Told]], dict, dict]:
    # What this transaction has read of the staff, by role, by (unit, roles) and by audience: read once per
    # transaction, as a sweep writes thousands of events and asks the same questions each time.
    session = db.session()  # once: each db.session attribute is a lookup of the app context's session
    transaction = session.get_transaction()
    cached = session.info.get(_STAFF)
    if cached is None or cached[0] is not transaction:
        cached = session.info[_STAFF] = (transaction, {}, {}, {})
    return cached[1], cached[2], cached[3]


def _unit_and_above(unit_id: int) -> list[int]:
    # A penghubung of an OPD also answers for the service units (UPPP) below it.
    ids, unit = [], db.session.get(Unit, unit_id)
    while unit is not None and unit.id not in ids:
        ids.append(unit.id)
        unit = unit.parent
    return ids


# --- what the notices say -----------------------------------------------------------------------------

def _facts(complaint: Complaint, event: ComplaintEvent) -> t.Facts:
    details = event.details or {}
    return t.Facts(code=complaint.tracking_code, tz=zone_of(complaint), title=complaint.title,
                   unit=complaint.unit.name if complaint.unit else "", comment=event.comment,
                   target=complaint.transfer_target or "", reason=complaint.archive_reason or "",
                   closure=complaint.closure or "", clock=details.get("clock", ""),
                   level=int(details.get("level") or complaint.escalation_level),
                   from_unit=_unit_name(details.get("from_unit")), bounces=complaint.bounce_count)


def _due(notice: str, complaint: Complaint, event: ComplaintEvent) -> datetime | None:
    kinds = {t.INFO_REQUESTED: [ClockKind.info], t.INFO_REMINDER: [ClockKind.info],
             t.RESPONDED: [ClockKind.confirmation], t.NEW_COMPLAINT: [ClockKind.verification],
             t.ASSIGNED: [ClockKind.response, ClockKind.resolution]}.get(notice)
    if kinds is None and (event.details or {}).get("clock"):
        kinds = [ClockKind((event.details or {})["clock"])]
    for kind in kinds or []:
        clock = complaint.clock(kind)
        if clock is not None and clock.due_at is not None and (
                clock.status in _OPEN_CLOCKS or notice in (t.SLA_BREACH, t.SLA_LEVEL2)):
            return clock.due_at
    return None


def _unit_name(code: str | None) -> str:
    if not code:
        return ""
    unit = db.session.scalar(select(Unit).filter_by(code=code))
    return unit.name if unit else code


def _message(channel: str, event: ComplaintEvent, notice: str, who: str, address: str, complaint: Complaint,
             payload: dict) -> dict:
    return {"kind": channel, "key": f"notify:{event.id}:{notice}:{channel}:{who}", "payload": payload,
            "complaint_id": complaint.id, "recipient": address, "status": outbox.PENDING, "attempts": 0,
            "next_attempt_at": event.at, "created_at": event.at}


def _enqueue_all(messages: list[dict]) -> None:
    """Queue an event's messages in one statement: :func:`outbox.enqueue` for many (a queued key is kept)."""
    # One INSERT … ON CONFLICT DO NOTHING per event instead of two statements per message.
    if not messages:
        return
    connection = db.session.connection()
    # On the table, past the ORM's bulk-insert step (which costs more than the statement): these are plain rows.
    connection.execute(_QUEUE[connection.dialect.name], messages)


# Built once per dialect: every filing and action queues its messages with it.
_QUEUE = {name: dialect.insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["key"])
          for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}

