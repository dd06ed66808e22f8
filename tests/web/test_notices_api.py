"""In-app notices over the API: staff read their own notices, unread first, and mark them read."""

from datetime import timedelta

import pytest

from tests.conftest import T0, VERIFY
from tests.web.conftest import error_of
from web.transaction import unit_of_work
from workflow.services import outbox


@pytest.fixture
def notify(app, tmp_path):
    """Switch notifications on for this test, with e-mail to reporters written in its own folder."""
    app.config.update(NOTIFICATIONS_ENABLED=True, MAIL_SINK_DIR=str(tmp_path / "mail"))
    return app


def deliver(app) -> None:
    outbox.deliver_due(T0, outbox.senders_from(app.config), unit_of_work=unit_of_work)


def assigned_twice(api, staff, app) -> list[dict]:
    """File and verify two complaints (PUPRKP hears of both) and deliver the notices; return the receipts."""
    receipts = [api.file(title=f"Jalan berlubang nomor {n}") for n in (1, 2)]
    for receipt in receipts:
        api.act(receipt["id"], "verify", staff["admin"], **VERIFY)
    deliver(app)
    return receipts


def test_staff_see_their_notices_unread_first_and_mark_them_read(api, staff, notify):
    first, second = assigned_twice(api, staff, notify)

    page = api.ok("GET", "/notices", staff["pupr"])
    assert (page["total"], page["unread"], page["page"], page["pages"]) == (2, 2, 1, 1)
    newest, oldest = page["items"]
    assert newest["complaint"] == {"id": second["id"], "tracking_code": second["tracking_code"]}
    assert oldest["complaint"]["id"] == first["id"]
    assert newest["kind"] == "assigned" and newest["read"] is False and newest["read_at"] is None
    assert newest["text"].startswith(f"Pengaduan {second['tracking_code']} (Jalan berlubang nomor 2) didisposisikan")
    assert " / Complaint " in newest["text"] and newest["created_at"] == "2026-03-17T10:00:00+08:00"

    read = api.ok("POST", f"/notices/{newest['id']}/read", staff["pupr"])
    assert read["read"] is True and read["read_at"] == "2026-03-17T10:00:00+08:00"

    page = api.ok("GET", "/notices", staff["pupr"])
    assert [item["id"] for item in page["items"]] == [oldest["id"], newest["id"]]  # the unread one comes first
    assert page["unread"] == 1
    assert [item["id"] for item in api.ok("GET", "/notices?unread=true", staff["pupr"])["items"]] == [oldest["id"]]


def test_reading_a_notice_again_keeps_the_first_time(api, staff, notify):
    assigned_twice(api, staff, notify)
    notice = api.ok("GET", "/notices", staff["pupr"])["items"][0]
    api.ok("POST", f"/notices/{notice['id']}/read", staff["pupr"])
    notify.config["FIXED_NOW"] = T0 + timedelta(days=1)

    again = api.ok("POST", f"/notices/{notice['id']}/read", staff["pupr"])

    assert again["read_at"] == "2026-03-17T10:00:00+08:00"


def test_notices_are_paginated(api, staff, notify):
    assigned_twice(api, staff, notify)

    page = api.ok("GET", "/notices?per_page=1&page=2", staff["penghubung_pupr"])

    assert (page["total"], page["pages"], page["per_page"], len(page["items"])) == (2, 2, 1, 1)
    assert api.ok("GET", "/notices?page=3&per_page=1", staff["penghubung_pupr"])["items"] == []


def test_each_user_sees_only_their_own_notices(api, staff, notify):
    assigned_twice(api, staff, notify)
    mine = api.ok("GET", "/notices", staff["pupr"])["items"][0]

    assert api.ok("GET", "/notices", staff["pdam"])["items"] == []
    assert error_of(api.post(f"/notices/{mine['id']}/read", staff["pdam"]), 404, "not_found") == {
        "notice_id": mine["id"]}
    assert api.ok("GET", "/notices", staff["pupr"])["unread"] == 2  # nothing was marked on their behalf
    admin = api.ok("GET", "/notices", staff["admin"])
    assert [item["kind"] for item in admin["items"]] == ["new_complaint", "new_complaint"]


@pytest.mark.parametrize(("query", "field"), [("per_page=0", "per_page"), ("per_page=101", "per_page"),
                                              ("page=zero", "page"), ("unread=maybe", "unread")])
def test_bad_paging_is_refused_naming_the_field(api, staff, query, field):
    assert field in error_of(api.get(f"/notices?{query}", staff["pupr"]), 422, "invalid_input")


def test_notices_need_a_staff_token(api):
    error_of(api.get("/notices"), 401, "authentication_required")
    error_of(api.post("/notices/1/read"), 401, "authentication_required")


def test_the_openapi_document_describes_the_notice_routes(api):
    paths = api.ok("GET", "/openapi.json")["paths"]

    assert paths["/notices"]["get"]["operationId"] == "listNotices"
    assert paths["/notices/{notice_id}/read"]["post"]["responses"]["404"]
