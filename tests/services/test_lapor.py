"""The SP4N-LAPOR! connector against a fake hub on a local port: up, down, slow, erroring.

A transfer is never lost or sent twice; the hub's reports come in once each; status changes of
those complaints go back to the hub, in order.
"""

from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from tests.conftest import T0, VERIFY
from tests.fakes.lapor_hub import TOKEN, FakeLaporHub
from web.transaction import unit_of_work
from workflow.connectors import lapor
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, OutboxMessage
from workflow.services import outbox
from workflow.services.inputs import TransferOut, is_lapor_hub

LATER = T0 + timedelta(minutes=1)  # past the first back-off (one minute)
MUCH_LATER = T0 + timedelta(minutes=10)


class SimulatedCrash(BaseException):
    """The worker dies between the hub's answer and the commit of the mark."""


@pytest.fixture
def hub(app):
    """Start a fake hub and point the connector at it."""
    fake = FakeLaporHub().start()
    app.config.update(LAPOR_BASE_URL=fake.url, LAPOR_TOKEN=TOKEN, LAPOR_TIMEOUT_SECONDS=5,
                      LAPOR_AGENCY_ID="KAB-KLUNGKUNG")
    yield fake
    fake.stop()


def deliver(app, at=T0):
    return outbox.deliver_due(at, outbox.senders_from(app.config), unit_of_work=unit_of_work)


def transferred_to_hub(file, act, staff, target="SP4N LAPOR", **overrides) -> Complaint:
    complaint = file(**overrides).complaint
    return act(complaint.id, "transfer_out", staff["admin"].actor, target=target,
               comment="Jalan nasional: kewenangan Kementerian PU. / National road.")


def messages(kind: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    return list(db.session.scalars(query.filter_by(kind=kind) if kind else query))


def fresh(complaint_id: int) -> Complaint:
    db.session.expire_all()
    return db.session.get(Complaint, complaint_id)


def actions(complaint_id: int) -> list[str]:
    return list(db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=complaint_id)
                                   .order_by(ComplaintEvent.id)))


def assert_delivered_once(hub: FakeLaporHub, complaint: Complaint) -> None:
    current = fresh(complaint.id)
    assert hub.transfer_receipts == 1
    assert current.external_ref == hub.reference_for(current.tracking_code) == "LAPOR-000001"
    assert actions(complaint.id).count("lapor_delivered") == 1
    assert [m.status for m in messages("lapor_transfer")] == ["delivered"]


def hub_report(tracking_id: str = "LPR-1001", **overrides) -> dict:
    report = {"tracking_id": tracking_id, "title": "Lampu jalan mati di depan Pasar Semarapura",
              "content": "Sudah seminggu lampu PJU di Jalan Gajah Mada mati, jalan gelap dan rawan.",
              "event_date": "2026-03-10", "category": "lampu-jalan",
              "location": {"village": "Semarapura Kelod", "district": "Klungkung", "address": "Jl. Gajah Mada"},
              "anonymous": False, "confidential": False,
              "reporter": {"name": "Ni Luh Putu Ayu", "phone": "081234567002"},
              "dispositioned_at": "2026-03-16T14:00:00+07:00", "extra_hub_field": "ignored"}
    report.update(overrides)
    return report


def pulled(hub, at=T0) -> lapor.PullReport:
    with unit_of_work():
        report = lapor.pull(lapor.hub_from_config(current_app.config), at)
    return report


# --- outbound: transfer_out to the hub ------------------------------------------------------------


def test_a_transfer_to_the_hub_is_queued_with_the_action_and_sent_once_after_commit(app, hub, file, act, staff):
    complaint = transferred_to_hub(file, act, staff)

    assert complaint.transfer_target == "SP4N-LAPOR!"  # one spelling, whatever was typed
    assert hub.write_requests == 0  # nothing leaves inside the transaction
    [queued] = messages()
    assert (queued.kind, queued.status, queued.complaint_id) == ("lapor_transfer", "pending", complaint.id)
    assert queued.payload["source_ref"] == complaint.tracking_code
    assert queued.payload["reporter"]["name"] == "I Komang Sutama"
    assert queued.payload["transfer_reason"].startswith("Jalan nasional")

    assert deliver(app)["delivered"] == 1
    assert deliver(app, MUCH_LATER) == {}

    assert_delivered_once(hub, complaint)
    assert hub.write_requests == 1
    event = db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=complaint.id,
                                                                action="lapor_delivered")).one()
    assert event.details["reference"] == "LAPOR-000001" and not event.internal
    assert "LAPOR-000001" in event.comment


@pytest.mark.parametrize(("typed", "to_hub"), [
    ("SP4N-LAPOR!", True), ("sp4n lapor", True), (" LAPOR! ", True), ("Sp4n_Lapor", True),
    ("Polres Klungkung (laporan polisi)", False), ("PLN UP3 Bali Timur", False),
])
def test_the_hub_is_recognised_however_its_name_is_typed(typed, to_hub):
    target = TransferOut(target=typed).target

    assert is_lapor_hub(typed) is to_hub
    assert (target == "SP4N-LAPOR!") is to_hub


def test_a_transfer_to_another_agency_does_not_go_to_the_hub(app, hub, file, act, staff):
    transferred_to_hub(file, act, staff, target="PLN UP3 Bali Timur")

    assert messages() == []
    assert deliver(app) == {} and hub.write_requests == 0


def test_an_anonymous_reporter_is_not_named_to_the_hub(app, hub, file, act, staff):
    transferred_to_hub(file, act, staff, anonymous=True)
    deliver(app)

    [transfer] = hub.transfers.values()
    assert transfer["payload"]["anonymous"] is True and transfer["payload"]["reporter"] is None
    assert "Sutama" not in str(transfer["payload"])


def test_a_hub_that_is_down_gets_the_transfer_once_it_is_back(app, hub, file, act, staff):
    complaint = transferred_to_hub(file, act, staff)
    hub.go_down()

    assert deliver(app)["retried"] == 1
    [waiting] = messages()
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == ("pending", 1, LATER)
    assert "unreachable" in waiting.last_error
    hub.come_up()
    assert deliver(app, LATER - timedelta(seconds=1)) == {}  # backing off, even though the hub is back
    assert deliver(app, LATER)["delivered"] == 1

    assert_delivered_once(hub, complaint)


def test_a_slow_hub_that_stored_the_transfer_does_not_get_it_twice(app, hub, file, act, staff):
    complaint = transferred_to_hub(file, act, staff)
    app.config["LAPOR_TIMEOUT_SECONDS"] = 0.3
    hub.slow()

    assert deliver(app)["retried"] == 1  # the client gave up waiting …
    assert "did not answer within 0.3 s" in messages()[0].last_error
    assert hub.transfer_receipts == 1  # … although the hub had stored it
    assert fresh(complaint.id).external_ref is None
    hub.release()
    assert deliver(app, LATER)["delivered"] == 1

    assert hub.write_requests == 2
    assert_delivered_once(hub, complaint)


@pytest.mark.parametrize("after_recording", [False, True], ids=["500-before-storing", "500-after-storing"])
def test_an_erroring_hub_gets_the_transfer_once_it_recovers(app, hub, file, act, staff, after_recording):
    complaint = transferred_to_hub(file, act, staff)
    hub.erroring(times=2, after_recording=after_recording)

    assert deliver(app)["retried"] == 1
    assert deliver(app, LATER)["retried"] == 1
    assert "the hub answered 500" in messages()[0].last_error
    assert deliver(app, LATER + timedelta(minutes=2))["delivered"] == 1

    assert hub.write_requests == 3
    assert_delivered_once(hub, complaint)


def test_a_crash_after_the_hub_accepted_does_not_file_the_transfer_twice(app, hub, file, act, staff):
    complaint = transferred_to_hub(file, act, staff)
    real = lapor.TransferSender(lapor.hub_from_config(app.config))

    def accept_then_crash(message, now):
        real(message, now)
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        outbox.deliver_due(T0, {"lapor_transfer": accept_then_crash}, unit_of_work=unit_of_work)
    assert hub.transfer_receipts == 1 and fresh(complaint.id).external_ref is None  # the mark was lost
    assert messages()[0].status == "pending"

    assert deliver(app)["delivered"] == 1

    assert hub.write_requests == 2
    assert_delivered_once(hub, complaint)


def test_a_wrong_token_is_retried_not_dropped(app, hub, file, act, staff):
    complaint = transferred_to_hub(file, act, staff)
    app.config["LAPOR_TOKEN"] = "expired-token"

    assert deliver(app)["retried"] == 1
    assert "401" in messages()[0].last_error
    app.config["LAPOR_TOKEN"] = TOKEN
    deliver(app, LATER)

    assert_delivered_once(hub, complaint)


def test_a_transfer_the_hub_never_accepts_is_kept_failed_and_shown_to_the_administrator(app, hub, file, act, staff):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    complaint = transferred_to_hub(file, act, staff)
    hub.go_down()

    deliver(app)
    assert deliver(app, LATER)["failed"] == 1

    [failed] = messages()
    assert failed.status == "failed" and failed.attempts == 2
    event = db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=complaint.id,
                                                                action="lapor_failed")).one()
    assert event.internal and "unreachable" in event.details["last_error"]
    hub.come_up()
    with unit_of_work():
        outbox.requeue_failed(MUCH_LATER, "lapor_transfer")
    deliver(app, MUCH_LATER)
    assert_delivered_once(hub, complaint)


def test_without_a_hub_configured_transfers_wait_untouched(app, file, act, staff):
    transferred_to_hub(file, act, staff)

    assert outbox.senders_from(app.config) == {}
    assert deliver(app) == {}
    [waiting] = messages()
    assert (waiting.status, waiting.attempts) == ("pending", 0)


# --- inbound: pulling the hub's reports -----------------------------------------------------------


def test_a_pull_imports_each_hub_report_once_across_pulls(app, hub):
    hub.dispose(hub_report("LPR-1001"))
    hub.dispose(hub_report("LPR-1002", title="Jalan berlubang", category="jalan-rusak", anonymous=True,
                           dispositioned_at="2026-03-16T15:30:00+07:00"))

    first = pulled(hub)
    second = pulled(hub, at=T0 + timedelta(hours=1))

    assert [c.external_ref for c in first.imported] == ["LPR-1001", "LPR-1002"] and first.since is None
    assert second.imported == [] and second.already_imported == 2
    assert second.since == datetime(2026, 3, 15, 8, 30, tzinfo=UTC)  # a day before the newest import
    complaints = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert len(complaints) == 2
    lamp, road = complaints
    assert (lamp.channel, lamp.external_ref, lamp.category_code, lamp.desa) == (
        "lapor", "LPR-1001", "lampu-jalan", "Semarapura Kelod")
    assert lamp.received_at == datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # when the hub dispositioned it to us
    assert lamp.reporter_phone == "081234567002" and lamp.entered_by_id is None
    assert road.anonymous is True
    filed = db.session.scalars(select(ComplaintEvent).filter_by(complaint_id=lamp.id, action="file")).one()
    assert filed.actor_role == "system" and filed.details["channel"] == "lapor"


def test_a_report_in_a_category_we_do_not_know_comes_in_for_the_administrator(app, hub):
    hub.dispose(hub_report(category="Energi dan Sumber Daya Mineral"))

    [complaint] = pulled(hub).imported

    assert complaint.category_code == "lainnya"
    assert complaint.description.endswith("[Kategori di SP4N-LAPOR! / category in SP4N-LAPOR!: "
                                          "Energi dan Sumber Daya Mineral]")


def test_a_report_that_cannot_be_read_is_refused_by_name_and_the_others_come_in(app, hub):
    hub.dispose(hub_report("LPR-BAD", content="", dispositioned_at="2026-03-16T14:00:00"))
    hub.dispose(hub_report("LPR-GOOD"))

    report = pulled(hub)

    assert [c.external_ref for c in report.imported] == ["LPR-GOOD"]
    assert set(report.refused) == {"LPR-BAD"}
    assert "content" in report.refused["LPR-BAD"] and "dispositioned_at" in report.refused["LPR-BAD"]
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_a_pull_from_a_hub_that_is_down_imports_nothing(app, hub):
    hub.dispose(hub_report())
    hub.go_down()

    with pytest.raises(lapor.HubUnavailable):
        pulled(hub)
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


# --- status changes back to the hub ---------------------------------------------------------------


def test_public_status_changes_of_an_imported_complaint_go_back_to_the_hub_in_order(app, hub, act, staff):
    hub.dispose(hub_report("LPR-2001"))
    [complaint] = pulled(hub).imported
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(complaint.id, "return", staff["penghubung_pupr"].actor, comment="Bukan kewenangan PUPR.")  # internal
    act(complaint.id, "redispose", staff["admin"].actor, unit="PUPRKP")  # internal
    act(complaint.id, "acknowledge", staff["pupr"].actor)
    act(complaint.id, "respond", staff["penghubung_pupr"].actor, comment="Lampu sudah diganti 18 Maret.")
    hub.erroring(times=1)

    deliver(app)  # the first status fails; the others wait behind it
    assert [m.status for m in messages("lapor_status")] == ["pending"] * 4
    deliver(app, LATER)

    pushed = [s["payload"] for s in hub.statuses.values()]
    assert {s["hub_id"] for s in hub.statuses.values()} == {"LPR-2001"}
    assert [(p["status"], p["status_label"]) for p in pushed] == [
        ("received", "Belum Terverifikasi"),
        ("dispositioned", "Terdisposisi – Belum Ditindaklanjuti"),
        ("in_progress", "Terdisposisi – Sedang Diproses"),
        ("responded", "Terdisposisi – Sudah Ditindaklanjuti"),
    ]
    assert pushed[-1]["comment"] == "Lampu sudah diganti 18 Maret."
    assert pushed[-1]["source_ref"] == complaint.tracking_code
    assert pushed[0]["changed_at"] == "2026-03-17T10:00:00+08:00"
    assert [m.status for m in messages("lapor_status")] == ["delivered"] * 4


def test_an_imported_complaint_sent_back_to_the_hub_is_a_status_not_a_new_report(app, hub, act, staff):
    hub.dispose(hub_report("LPR-3001"))
    [complaint] = pulled(hub).imported
    act(complaint.id, "transfer_out", staff["admin"].actor, target="SP4N-LAPOR!",
        comment="Kewenangan Pemerintah Provinsi Bali.")

    deliver(app)

    assert hub.transfer_receipts == 0
    last = list(hub.statuses.values())[-1]["payload"]
    assert (last["status"], last["transfer_target"], last["comment"]) == (
        "transferred", "SP4N-LAPOR!", "Kewenangan Pemerintah Provinsi Bali.")
    assert fresh(complaint.id).external_ref == "LPR-3001"


# --- the commands ---------------------------------------------------------------------------------


def test_the_commands_pull_deliver_and_report(app, hub):
    hub.dispose(hub_report("LPR-4001"))
    runner = app.test_cli_runner()

    pull = runner.invoke(args=["lapor", "pull", "--now", "2026-03-17T10:00:00+08:00"])
    again = runner.invoke(args=["lapor", "pull", "--now", "2026-03-17T11:00:00+08:00"])
    sent = runner.invoke(args=["outbox", "deliver", "--now", "2026-03-17T10:05:00+08:00"])
    status = runner.invoke(args=["outbox", "status"])

    assert pull.exit_code == 0 and "imported LPR-4001 as KLK-26-" in pull.output
    assert "pull: 1 imported, 0 already here, 0 refused" in pull.output
    assert "pull: 0 imported, 1 already here, 0 refused" in again.output
    assert sent.exit_code == 0 and "delivered=1" in sent.output
    assert "lapor_status delivered 1" in status.output
    assert len(hub.statuses) == 1


def test_the_pull_command_fails_loudly_when_the_hub_is_off_or_down_or_a_report_is_refused(app, hub):
    runner = app.test_cli_runner()
    hub.dispose(hub_report("LPR-BAD", content=""))

    refused = runner.invoke(args=["lapor", "pull"])
    hub.go_down()
    down = runner.invoke(args=["lapor", "pull"])
    app.config["LAPOR_BASE_URL"] = ""
    off = runner.invoke(args=["lapor", "pull"])

    assert refused.exit_code == 1 and "refused LPR-BAD" in refused.output
    assert down.exit_code == 1 and "unavailable, nothing imported" in down.output
    assert off.exit_code == 1 and "LAPOR_BASE_URL is not set" in off.output


def test_the_scheduled_sweep_also_pulls_from_the_hub(app, hub):
    from web import cli

    hub.inbox.append(hub_report())
    cli.stop.set()  # one round of the repeating command, then stop
    try:
        result = app.test_cli_runner().invoke(args=["sla", "sweep", "--every", "60"])
    finally:
        cli.stop.clear()
    assert result.exit_code == 0, result.output
    assert "lapor pull: 1 imported" in result.output
    assert db.session.scalar(select(Complaint.channel).filter_by(external_ref="LPR-1001")) == "lapor"
