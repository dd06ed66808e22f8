"""Notifications: the reporter hears of each public step once, staff of their work, over a replayed 2026 clock;
hidden identities never reach units; gateways that fail, recover or crash deliver each message once."""

import email
import json
import re
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import event, func, select

from tests.conftest import T0, VERIFY, new_complaint
from tests.fakes.sms_gateway import TOKEN, FakeGateway
from tests.fakes.smtp_server import FakeSmtpServer
from tests.services.test_lifecycle import wita
from web.transaction import unit_of_work
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.domain.states import Role
from workflow.models import ComplaintEvent, Notice, OutboxMessage, User
from workflow.notifications.listener import international
from workflow.notifications.senders import InAppSender, message_id
from workflow.services import outbox, people
from workflow.services.intake import file_complaint
from workflow.services.redaction import REDACTED
from workflow.services.sla import sweep

BASE = "https://pengaduan.klungkungkab.go.id"
NAME, PHONE, EMAIL = "I Wayan Rahasia Sekali", "0813 7777 0001", "wayan.rahasia@example.id"
REPORTER = {"name": "Ni Luh Sukerti", "phone": "081234567002", "email": "niluh.sukerti@example.id"}


class SimulatedCrash(BaseException):
    """The worker dies between the gateway's answer and the commit of the mark."""


@pytest.fixture
def notify(app, tmp_path):
    """Switch notifications on, with the development mail folder in this test's own directory."""
    app.config.update(NOTIFICATIONS_ENABLED=True, PUBLIC_BASE_URL=BASE, MAIL_SINK_DIR=str(tmp_path / "mail"),
                      NOTIFY_REPORTER_PHONE_CHANNEL="sms", MAIL_FROM="Aduflow Klungkung <pengaduan@klungkungkab.go.id>")
    return app


@pytest.fixture
def gateway(notify):
    """Run a fake SMS gateway and point SMS_GATEWAY_URL at it."""
    fake = FakeGateway().start()
    notify.config.update(SMS_GATEWAY_URL=fake.url, GATEWAY_TOKEN=TOKEN)
    yield fake
    fake.stop()


def messages(**filters) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)))


def to_reporter(complaint_id: int) -> list[tuple[str, str]]:
    """Return (channel, notice) of every message queued for the complaint's reporter, in order."""
    return [(m.kind, m.payload["notice"]) for m in messages(complaint_id=complaint_id)
            if m.kind in ("email", "sms", "whatsapp")]


def staff_notices(complaint_id: int | None = None) -> dict[str, list[str]]:
    """Return, per username, the notices queued for staff (about one complaint, or all), in order."""
    names = dict(db.session.execute(select(User.id, User.username)).all())
    found: dict[str, list[str]] = {}
    for message in messages(kind="inapp", **({"complaint_id": complaint_id} if complaint_id else {})):
        for user_id in message.payload["user_ids"]:
            found.setdefault(names[user_id], []).append(message.payload["notice"])
    return found


def deliver(app, at=T0, senders=None):
    return outbox.deliver_due(at, senders or outbox.senders_from(app.config), unit_of_work=unit_of_work)


def sweep_at(moment):
    report = sweep(moment)
    db.session.commit()
    return report


def reporter_actor(complaint_id: int) -> Actor:
    return Actor.reporter(complaint_id)


# --- the reporter ---------------------------------------------------------------------------------


def test_the_reporter_hears_of_each_public_step_once_and_of_no_internal_one(notify, file, act, staff):
    filed = file(reporter=REPORTER)
    cid = filed.complaint.id
    act(cid, "verify", staff["admin"].actor, **VERIFY)
    act(cid, "acknowledge", staff["pupr"].actor)
    act(cid, "escalate", staff["penghubung_pupr"].actor, comment="Perlu perhatian.")  # internal
    act(cid, "request_info", staff["pupr"].actor, comment="Mohon kirim foto lubangnya.")
    act(cid, "supply_info", reporter_actor(cid), comment="Foto terlampir.")
    act(cid, "respond", staff["penghubung_pupr"].actor, comment="Lubang sudah ditambal.")
    act(cid, "dispute", reporter_actor(cid), comment="Masih berlubang di sisi utara.")
    act(cid, "respond", staff["penghubung_pupr"].actor, comment="Sisi utara juga sudah ditambal.")
    act(cid, "confirm", reporter_actor(cid))

    steps = ["filed", "verified", "info_requested", "responded", "responded", "closed"]
    assert [n for channel, n in to_reporter(cid) if channel == "email"] == steps
    assert [n for channel, n in to_reporter(cid) if channel == "sms"] == steps
    for message in messages(complaint_id=cid):
        assert not re.search(rf"\b{filed.pin}\b", json.dumps(message.payload))  # never the PIN
    first = messages(complaint_id=cid, kind="sms")[0]
    assert first.recipient == first.payload["to"] == "+6281234567002"
    assert first.payload["text"].startswith(f"Pengaduan Anda diterima dengan kode {filed.complaint.tracking_code}.")
    assert f"{BASE}/lacak/{filed.complaint.tracking_code}" in first.payload["text"]
    asked = next(m for m in messages(complaint_id=cid, kind="sms") if m.payload["notice"] == "info_requested")
    assert "Mohon kirim foto lubangnya." in asked.payload["text"]
    assert "paling lambat" in asked.payload["text"] and " / Complaint " in asked.payload["text"]


def test_the_other_endings_reach_the_reporter_too(notify, file, act, staff):
    archived = file(reporter=REPORTER).complaint.id
    act(archived, "archive", staff["admin"].actor, reason="out_of_scope", comment="Urusan pribadi.")
    transferred = file(reporter=REPORTER).complaint.id
    act(transferred, "transfer_out", staff["admin"].actor, target="BPJS Kesehatan", comment="Kewenangan BPJS.")
    reopened = file(reporter=REPORTER).complaint.id
    act(reopened, "verify", staff["admin"].actor, **VERIFY)
    act(reopened, "acknowledge", staff["pupr"].actor)
    act(reopened, "respond", staff["penghubung_pupr"].actor, wita(2026, 3, 25), comment="Sudah.")
    act(reopened, "close", staff["admin"].actor, wita(2026, 4, 1), comment="Sudah diperiksa di lapangan.")
    act(reopened, "reopen", staff["coordinator"].actor, wita(2026, 4, 6), comment="Rusak lagi.")

    def emails(cid):
        return [n for channel, n in to_reporter(cid) if channel == "email"]

    assert emails(archived) == ["filed", "archived"]
    assert emails(transferred) == ["filed", "transferred"]
    assert emails(reopened) == ["filed", "verified", "responded", "closed", "reopened"]
    [archive] = [m for m in messages(complaint_id=archived, kind="email") if m.payload["notice"] == "archived"]
    assert "diarsipkan: di luar lingkup pengaduan pelayanan publik" in archive.payload["text"]
    [closing] = [m for m in messages(complaint_id=reopened, kind="email") if m.payload["notice"] == "closed"]
    assert "ditutup oleh administrator" in closing.payload["text"]
    assert closing.payload["subject"].startswith("[KLK-26-") and " / Complaint closed" in closing.payload["subject"]


def test_windows_that_run_out_tell_the_reporter_on_their_day(notify, file, act, staff):
    waiting = file(reporter=REPORTER).complaint.id
    act(waiting, "request_info", staff["admin"].actor, comment="Di mana lokasinya?")
    answered = file(reporter=REPORTER).complaint.id
    act(answered, "verify", staff["admin"].actor, **VERIFY)
    act(answered, "acknowledge", staff["pupr"].actor)
    act(answered, "respond", staff["penghubung_pupr"].actor, comment="Sudah ditambal.")
    day = wita(2026, 3, 17, 9)
    while day < wita(2026, 4, 20):
        day += timedelta(days=1)
        sweep_at(day)
        sweep_at(day)

    assert [n for c, n in to_reporter(waiting) if c == "sms"] == ["filed", "info_requested", "info_reminder",
                                                                 "archived"]
    assert [n for c, n in to_reporter(answered) if c == "sms"] == ["filed", "verified", "responded", "closed"]
    [auto] = [m for m in messages(complaint_id=answered, kind="sms") if m.payload["notice"] == "closed"]
    assert "tidak ada konfirmasi" in auto.payload["text"]
    [expired] = [m for m in messages(complaint_id=waiting, kind="sms") if m.payload["notice"] == "archived"]
    assert "informasi yang diminta tidak dilengkapi" in expired.payload["text"]


@pytest.mark.parametrize(("setting", "channels"), [("sms", ["sms"]), ("whatsapp", ["whatsapp"]),
                                                   ("sms,whatsapp", ["sms", "whatsapp"]), ("", [])])
def test_the_reporters_phone_gets_the_channels_the_regency_chose(notify, file, setting, channels):
    notify.config["NOTIFY_REPORTER_PHONE_CHANNEL"] = setting
    cid = file(reporter={"phone": "+62 812-3456-7003"}).complaint.id

    assert [m.kind for m in messages(complaint_id=cid) if not m.recipient.startswith("user:")] == channels
    assert {m.recipient for m in messages(complaint_id=cid) if m.kind in ("sms", "whatsapp")} <= {"+6281234567003"}


def test_a_reporter_without_contact_or_from_the_lapor_hub_gets_nothing(notify, file, app):
    silent = file(reporter={"name": "Tanpa kontak"}).complaint.id
    hub = file_complaint(new_complaint(channel="lapor", external_ref="LAPOR-000042", reporter=REPORTER), None, T0,
                         integration="lapor").complaint.id
    db.session.commit()

    assert to_reporter(silent) == [] and to_reporter(hub) == []
    assert staff_notices(hub) == {}  # nobody on staff yet: no accounts, no notices


@pytest.mark.parametrize(("given", "expected"), [("081234567001", "+6281234567001"),
                                                 ("+62 812-3456-7001", "+6281234567001"),
                                                 ("62 812 3456 7001", "+6281234567001"),
                                                 ("(0366) 21234", "+6236621234")])
def test_phone_numbers_are_sent_in_international_form(given, expected):
    assert international(given) == expected


def test_nothing_is_queued_while_notifications_are_off(app, file, act, staff):
    cid = file(reporter=REPORTER).complaint.id
    act(cid, "verify", staff["admin"].actor, **VERIFY)

    assert messages() == [] and outbox.senders_from(app.config) == {}


# --- staff ----------------------------------------------------------------------------------------


def test_a_filing_reads_only_the_staff_it_tells(notify, staff):
    # A regency has hundreds of staff accounts; a filing tells the administrators and must not read the rest.
    asked: list = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "FROM users" in statement:
            asked.append(parameters)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        file_complaint(new_complaint(), None, T0)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    db.session.commit()
    roles = {value for parameters in asked
             for value in (parameters.values() if isinstance(parameters, dict) else parameters)
             if value in {role.value for role in Role}}
    assert len(asked) == 1 and roles == {"admin_instansi"}
    assert {m.payload["notice"] for m in messages(kind="inapp")} == {"new_complaint"}


def test_staff_hear_of_assignments_returns_and_bounces_and_not_of_their_own_acts(notify, file, act, staff):
    cid = file().complaint.id
    act(cid, "verify", staff["admin"].actor, **VERIFY)
    act(cid, "return", staff["penghubung_pupr"].actor, comment="Ini urusan PDAM.")
    act(cid, "redispose", staff["admin"].actor, unit="PDAM")
    act(cid, "return", staff["pdam"].actor, comment="Bukan kami.")
    act(cid, "redispose", staff["admin"].actor, unit="DINKES")
    act(cid, "return", staff["dinkes"].actor, comment="Bukan kami juga.")

    assert staff_notices(cid) == {
        "admin": ["new_complaint", "returned", "returned", "returned"],
        "pupr": ["assigned"], "penghubung_pupr": ["assigned"],  # the penghubung's own return is not echoed
        "pdam": ["assigned"], "penghubung_pdam": ["assigned"], "dinkes": ["assigned"],
        "coordinator": ["bounce_alert"], "inspector": ["bounce_alert"],
    }
    returned = next(m for m in messages(kind="inapp", complaint_id=cid) if m.payload["notice"] == "returned")
    assert "Dinas Pekerjaan Umum" in returned.payload["text"] and "Ini urusan PDAM." in returned.payload["text"]


def test_the_opd_above_a_service_unit_hears_of_complaints_for_it(notify, file, act, staff):
    people.create_user("penghubung_dinkes", "penghubung", "correct-horse-battery", "DINKES")
    people.create_user("puskesmas", "unit_admin", "correct-horse-battery", "PKM-BJK1")
    db.session.commit()
    cid = file().complaint.id
    act(cid, "verify", staff["admin"].actor, **(VERIFY | {"unit": "PKM-BJK1"}))

    notices = staff_notices(cid)
    # Those whose reach covers the Puskesmas: its own handler, and the OPD's handler and penghubung above it.
    assert notices["puskesmas"] == notices["penghubung_dinkes"] == notices["dinkes"] == ["assigned"]
    assert not {"pupr", "penghubung_pupr", "pdam", "penghubung_pdam"} & set(notices)


def test_escalations_by_hand_climb_the_ladder(notify, file, act, staff):
    cid = file().complaint.id
    act(cid, "verify", staff["admin"].actor, **VERIFY)
    act(cid, "acknowledge", staff["pupr"].actor)
    act(cid, "escalate", staff["penghubung_pupr"].actor, comment="Alat berat belum tersedia.")
    act(cid, "escalate", staff["coordinator"].actor, comment="Tim koordinasi turun tangan.")
    act(cid, "escalate", staff["coordinator"].actor, comment="Perlu keputusan Bupati.")

    notices = staff_notices(cid)
    assert notices["admin"] == ["new_complaint", "escalated"]  # level 1: penghubung (who escalated) + admin
    assert notices["inspector"] == ["escalated"] and "escalated" not in notices.get("coordinator", [])  # level 2
    assert notices["leader"] == ["escalated"]  # level 3
    [to_leader] = [m for m in messages(kind="inapp") if m.payload["notice"] == "escalated"
                   and staff["leader"].actor.user_id in m.payload["user_ids"]]
    assert "tingkat 3" in to_leader.payload["text"] and "Perlu keputusan Bupati." in to_leader.payload["text"]


def test_a_complaint_nobody_handles_warns_breaches_and_climbs_with_each_message_once(notify, file, act, staff):
    unverified = file(reporter=REPORTER).complaint.id  # Tue 17 Mar 2026; verification due Fri 27 Mar
    ignored = file().complaint.id
    act(ignored, "verify", staff["admin"].actor, **VERIFY)  # response due Tue 31 Mar; nobody acts
    day = wita(2026, 3, 17, 9)
    while day < wita(2026, 5, 15):
        day += timedelta(days=1)
        for _ in range(2):  # a second sweep and a second delivery the same day find nothing new
            sweep_at(day)
            deliver(notify, day)

    assert staff_notices(unverified) == {
        "admin": ["new_complaint", "sla_warning", "sla_breach"],  # the breach is level 1: no second word
        "coordinator": ["sla_level2"], "inspector": ["sla_level2"],
    }
    assert staff_notices(ignored) == {
        "admin": ["new_complaint", "sla_breach", "sla_breach"],
        "pupr": ["assigned", "sla_warning", "sla_breach", "sla_warning", "sla_breach"],  # response, then resolution
        "penghubung_pupr": ["assigned", "sla_warning", "sla_breach", "sla_warning", "sla_breach"],
        "coordinator": ["sla_level2", "sla_level2"], "inspector": ["sla_level2", "sla_level2"],
    }
    assert to_reporter(unverified) == [("email", "filed"), ("sms", "filed"), ("email", "ombudsman"),
                                       ("sms", "ombudsman")]
    assert [n for _, n in to_reporter(ignored)] == ["filed", "verified", "ombudsman"]
    # Each message once: one in-app notice per person a queued message names, all delivered, none said twice.
    inapp = messages(kind="inapp")
    assert {m.status for m in inapp} == {"delivered"} and {m.attempts for m in inapp} == {1}
    notices = db.session.scalars(select(Notice)).all()
    told = sum(len(m.payload["user_ids"]) for m in inapp)
    assert len(notices) == told == len({(n.user_id, n.text) for n in notices})
    assert {m.status for m in messages(kind="email")} == {"delivered"}
    assert {m.status for m in messages(kind="sms")} == {"pending"}  # no gateway configured: they wait untouched
    # The escalations the sweep made are in the audit trail, once each, and told through their SLA notices.
    escalations = db.session.scalars(select(ComplaintEvent.details).filter_by(complaint_id=ignored,
                                                                               action="escalate")).all()
    assert [e["level"] for e in escalations] == [1, 2]
    breach = next(m for m in inapp if m.complaint_id == ignored and m.payload["notice"] == "sla_breach")
    assert "Batas waktu tanggapan pertama" in breach.payload["text"]
    assert "Selasa, 31 Maret 2026" in breach.payload["text"]


# --- hidden identities ------------------------------------------------------------------------------


def test_one_message_tells_everyone_of_an_assignment_and_a_second_delivery_adds_no_notice(notify, file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    [assigned] = [m for m in messages(kind="inapp") if m.payload["notice"] == "assigned"]
    unit_staff = {staff[name].actor.user_id for name in ("pupr", "penghubung_pupr")}
    assert unit_staff <= set(assigned.payload["user_ids"])

    for _ in range(2):  # a worker that died after writing the notices delivers the message again
        InAppSender().many([assigned], T0)
        db.session.commit()

    notices = db.session.scalars(select(Notice).filter_by(kind="assigned")).all()
    assert sorted(n.user_id for n in notices) == sorted(assigned.payload["user_ids"])
    stem = assigned.key.rpartition(":")[0]
    assert {n.key for n in notices} == {f"{stem}:u{user_id}" for user_id in assigned.payload["user_ids"]}
    assert {n.text for n in notices} == {assigned.payload["text"]}


def test_a_hidden_identity_never_reaches_unit_staff_through_any_notice(notify, file, act, staff):
    filed = file(title=f"Jalan rusak, dilaporkan {NAME}", anonymous=True,
                 reporter={"name": NAME, "phone": PHONE, "email": EMAIL})
    cid = filed.complaint.id
    act(cid, "verify", staff["admin"].actor, **(VERIFY | {"anonymous": True}))
    act(cid, "return", staff["pupr"].actor, comment=f"Pelapor {NAME} ({PHONE}) salah alamat.")
    act(cid, "redispose", staff["admin"].actor, unit="PDAM")
    act(cid, "acknowledge", staff["pdam"].actor)
    act(cid, "request_info", staff["pdam"].actor, comment="Mohon alamat lengkap.")
    act(cid, "supply_info", reporter_actor(cid), comment=f"Saya {NAME.upper()}, hubungi 6281377770001 atau {EMAIL}.")
    act(cid, "respond", staff["penghubung_pdam"].actor, comment="Pipa sudah diganti.")
    act(cid, "dispute", reporter_actor(cid), comment=f"Belum. Salam, {NAME}.")
    act(cid, "escalate", staff["penghubung_pdam"].actor, comment="Butuh anggaran.", level=2)
    day = wita(2026, 3, 17, 9)
    while day < wita(2026, 5, 1):
        day += timedelta(days=1)
        sweep_at(day)
    deliver(notify, day)

    roles = dict(db.session.execute(select(User.id, User.role)).all())
    secrets = [NAME, *NAME.split()[1:], "0813", "7777", "77770001", EMAIL, "wayan.rahasia"]
    told_others = set()
    for message in messages(kind="inapp"):
        dumped = json.dumps(message.payload, ensure_ascii=False).lower()
        if {roles[user_id] for user_id in message.payload["user_ids"]} == {"admin_instansi"}:
            continue
        told_others.add(message.payload["notice"])
        for secret in secrets:
            assert secret.lower() not in dumped, (message.payload["notice"], secret)
    for notice in db.session.scalars(select(Notice)):
        if roles[notice.user_id] != "admin_instansi":
            assert not any(secret.lower() in notice.text.lower() for secret in secrets)
    assert told_others >= {"assigned", "info_supplied", "disputed", "escalated", "sla_warning"}
    # The administrator, who may see the identity, reads the title as the reporter wrote it.
    [new] = [m for m in messages(kind="inapp") if m.payload["notice"] == "new_complaint"]
    assert NAME in new.payload["text"]
    unit_notice = next(m for m in messages(kind="inapp") if m.payload["notice"] == "assigned")
    assert REDACTED in unit_notice.payload["text"]


# --- delivery -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("after_recording", [False, True], ids=["500-before-keeping", "500-after-keeping"])
def test_a_gateway_that_fails_then_recovers_gets_each_message_once(gateway, notify, file, act, staff,
                                                                   after_recording):
    cid = file(reporter={"phone": "081234567002"}).complaint.id
    act(cid, "verify", staff["admin"].actor, **VERIFY)
    gateway.erroring(times=2, after_recording=after_recording)

    assert deliver(notify, T0)["retried"] == 1
    filed_sms, verified_sms = messages(kind="sms")
    assert filed_sms.status == "pending" and "the gateway answered 500" in filed_sms.last_error
    assert verified_sms.attempts == 0  # it waits behind the earlier message to the same number
    at = T0
    for _ in range(5):  # each pass at the moment the retry is due
        at = max([at] + [m.next_attempt_at for m in messages(kind="sms") if m.status == "pending"])
        deliver(notify, at)

    sms = messages(kind="sms")
    assert [m.status for m in sms] == ["delivered", "delivered"]
    assert [m.attempts for m in sms] == [3, 1] and gateway.requests == 4
    assert len(gateway.kept) == 2 and set(gateway.kept) == {m.key for m in sms}
    texts = gateway.texts_to("+6281234567002")
    assert texts[0].startswith("Pengaduan Anda diterima") and "diverifikasi" in texts[1]  # in the order written


def test_a_crash_after_the_gateway_accepted_does_not_send_the_message_twice(gateway, notify, file):
    file(reporter={"phone": "081234567002"})
    real = outbox.senders_from(notify.config)

    def send_then_die(message, now):
        real["sms"](message, now)
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        deliver(notify, T0, senders={"sms": send_then_die})
    [waiting] = messages(kind="sms")
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # the mark was lost with the crash

    deliver(notify, T0 + timedelta(minutes=1))

    [sent] = messages(kind="sms")
    assert sent.status == "delivered"
    assert gateway.requests == 2 and list(gateway.kept) == [sent.key]  # asked twice, kept once


def test_a_number_the_gateway_refuses_fails_at_once_and_unconfigured_channels_wait(gateway, notify, file):
    notify.config["NOTIFY_REPORTER_PHONE_CHANNEL"] = "sms,whatsapp"
    gateway.refusing("+6281234567009")
    file(reporter={"phone": "081234567009"})

    report = deliver(notify)

    assert report["failed"] == 1
    [refused] = messages(kind="sms")
    assert refused.status == "failed" and "refused the message (422)" in refused.last_error
    [waiting] = messages(kind="whatsapp")
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # WHATSAPP_GATEWAY_URL is empty


def test_the_development_mail_folder_holds_one_readable_file_per_message(notify, file, act, staff, tmp_path):
    filed = file(reporter={"email": "niluh.sukerti@example.id"})
    act(filed.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    real = outbox.senders_from(notify.config)

    def write_then_die(message, now):
        real["email"](message, now)
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        deliver(notify, T0, senders={"email": write_then_die})
    deliver(notify, T0 + timedelta(minutes=1))

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2 and not list((tmp_path / "mail").glob("*.part"))
    first = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    code = filed.complaint.tracking_code
    assert first["To"] == "niluh.sukerti@example.id"
    assert first["Subject"] == f"[{code}] Pengaduan diterima / Complaint received"
    assert first["Message-ID"] == message_id(messages(kind="email")[0].key, notify.config["MAIL_FROM"])
    assert first["Message-ID"].endswith("@klungkungkab.go.id>")
    body = first.get_content()
    assert body.index("Pengaduan Anda diterima") < body.index("Your complaint was received")
    assert f"{BASE}/lacak/{code}" in body and not re.search(rf"\b{filed.pin}\b", body)
    assert "Pengaduan Anda diterima" in files[0].read_text(encoding="utf-8")  # plain text a person can read


def test_mail_goes_through_an_smtp_server_and_a_refused_address_fails(notify, file):
    server = FakeSmtpServer().start()
    server.refused.add("tidak.ada@example.id")
    notify.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False)
    try:
        file(reporter={"email": "niluh.sukerti@example.id"})
        file(reporter={"email": "tidak.ada@example.id"})
        report = deliver(notify)
    finally:
        server.stop()

    assert (report["delivered"], report["failed"]) == (1, 1)
    [(recipients, raw)] = server.received
    assert recipients == ["niluh.sukerti@example.id"]
    sent = email.message_from_bytes(raw, policy=policy.default)
    [good, bad] = messages(kind="email")
    assert sent["Message-ID"] == message_id(good.key, notify.config["MAIL_FROM"])
    assert "Pengaduan Anda diterima" in sent.get_content()
    assert bad.status == "failed" and "refused the address" in bad.last_error


def test_each_event_is_keyed_so_a_replayed_listener_queues_nothing_new(notify, file, staff):
    from workflow.notifications.listener import queue_notifications

    filed = file(reporter=REPORTER)
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    event = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=filed.complaint.id, action="file"))
    queue_notifications(filed.complaint, event)
    db.session.commit()

    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before == 3  # e-mail, SMS, admin notice
