"""Guessing PINs: a tracking code locks after repeated wrong PINs, and each address is rate-limited."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import T0, make_app, on_postgres
from tests.services.test_attachments import pdf
from tests.web.conftest import Api, error_of
from workflow.db import db
from workflow.models import Complaint

# Tue 17 Mar 2026 10:00 WITA + 15 minutes, in the unit's offset.
LOCKED_UNTIL = "2026-03-17T10:15:00+08:00"


@pytest.fixture
def filed(api) -> dict:
    """Return a complaint filed on the web form, with its tracking code and PIN."""
    return api.file()


def wrong(pin: str) -> dict:
    return {"X-Tracking-Pin": "000000" if pin != "000000" else "111111"}


def right(filed: dict) -> dict:
    return {"X-Tracking-Pin": filed["pin"]}


def track(api: Api, filed: dict, headers: dict, **kwargs):
    return api.call("GET", f"/track/{filed['tracking_code']}", headers=headers, **kwargs)


def stored(filed: dict) -> Complaint:
    db.session.expire_all()
    return db.session.scalar(select(Complaint).filter_by(tracking_code=filed["tracking_code"]))


def test_the_fifth_wrong_pin_locks_the_code_even_for_the_right_pin(api, filed):
    before = stored(filed)
    version, updated_at = before.version, before.updated_at
    for attempt in range(1, 5):
        error_of(track(api, filed, wrong(filed["pin"])), 401, "authentication_required")
        # Each wrong PIN counts although its request failed and was rolled back.
        assert stored(filed).pin_failures == attempt
    response = track(api, filed, wrong(filed["pin"]))
    details = error_of(response, 429, "tracking_locked")
    assert details == {"tracking_code": filed["tracking_code"], "locked_until": LOCKED_UNTIL,
                       "retry_after_seconds": 900}
    assert response.headers["Retry-After"] == "900"
    assert LOCKED_UNTIL in response.get_json()["error"]["message"]

    response = track(api, filed, right(filed))
    assert error_of(response, 429, "tracking_locked")["locked_until"] == LOCKED_UNTIL
    # Counting guesses is not a change to the complaint: no new version, no new "updated" time.
    after = stored(filed)
    assert (after.version, after.updated_at, after.pin_failures) == (version, updated_at, 5)


def test_the_lock_ends_after_its_minutes_and_the_right_pin_resets_the_count(api, app, filed):
    for _ in range(5):
        track(api, filed, wrong(filed["pin"]))
    app.config["FIXED_NOW"] = T0 + timedelta(minutes=14, seconds=59)
    error_of(track(api, filed, right(filed)), 429, "tracking_locked")
    app.config["FIXED_NOW"] = T0 + timedelta(minutes=15)
    assert track(api, filed, right(filed)).status_code == 200
    complaint = stored(filed)
    assert (complaint.pin_failures, complaint.pin_locked_until) == (0, None)


def test_after_a_lock_one_more_wrong_pin_locks_again_at_once(api, app, filed):
    for _ in range(5):
        track(api, filed, wrong(filed["pin"]))
    app.config["FIXED_NOW"] = T0 + timedelta(minutes=20)
    details = error_of(track(api, filed, wrong(filed["pin"])), 429, "tracking_locked")
    assert details["locked_until"] == "2026-03-17T10:35:00+08:00"


def test_the_right_pin_in_between_starts_the_count_afresh(api, filed):
    for _ in range(4):
        error_of(track(api, filed, wrong(filed["pin"])), 401, "authentication_required")
    assert track(api, filed, right(filed)).status_code == 200
    for _ in range(4):
        error_of(track(api, filed, wrong(filed["pin"])), 401, "authentication_required")
    assert track(api, filed, right(filed)).status_code == 200


def test_a_missing_pin_or_an_unknown_code_counts_against_nothing(api, filed):
    for _ in range(6):
        error_of(track(api, filed, {}), 401, "authentication_required")
        error_of(api.call("GET", "/track/KLK-26-ZZZZZZ", headers=right(filed)), 401, "authentication_required")
    assert stored(filed).pin_failures == 0
    assert track(api, filed, right(filed)).status_code == 200


def test_a_locked_code_refuses_actions_and_attachments_too(api, filed):
    for _ in range(5):
        track(api, filed, wrong(filed["pin"]))
    code = filed["tracking_code"]
    error_of(api.call("POST", f"/track/{code}/actions/supply_info", headers=right(filed),
                      json={"comment": "Lokasi persis: depan Pura Dalem."}), 429, "tracking_locked")
    error_of(api.upload(f"/track/{code}/attachments", "bukti.pdf", pdf(), headers=right(filed)), 429,
             "tracking_locked")
    error_of(api.call("GET", f"/track/{code}/attachments", headers=right(filed)), 429, "tracking_locked")
    assert stored(filed).state == "received"


def test_wrong_pins_through_any_reporter_endpoint_count_together(api, filed):
    code = filed["tracking_code"]
    api.call("GET", f"/track/{code}/attachments", headers=wrong(filed["pin"]))
    api.call("POST", f"/track/{code}/actions/confirm", headers=wrong(filed["pin"]), json={})
    api.upload(f"/track/{code}/attachments", "bukti.pdf", pdf(), headers=wrong(filed["pin"]))
    assert stored(filed).pin_failures == 3


@pytest.mark.skipif(not on_postgres(), reason="the row lock that queues parallel guesses needs PostgreSQL")
def test_parallel_guesses_cannot_slip_past_the_limit(api, app, filed):
    # More guessers than the connection pool holds (5 + 10 overflow): no request may wait on a second one.
    guessers, answers = 24, []
    app.config["TRACKING_RATE_LIMIT"] = "100 per minute"
    start = threading.Barrier(guessers)

    def guess():
        start.wait(timeout=30)
        with app.app_context():
            response = app.test_client().get(f"/api/v1/track/{filed['tracking_code']}", headers=wrong(filed["pin"]))
            answers.append(response.get_json()["error"]["code"])
            db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=guess) for _ in range(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == ["authentication_required"] * 4 + ["tracking_locked"] * (guessers - 4)
    assert stored(filed).pin_failures == 5


# --- per address ----------------------------------------------------------------------------------


def test_too_many_look_ups_from_one_address_get_429_in_the_error_shape(api, app, filed):
    app.config["TRACKING_RATE_LIMIT"] = "3 per day"
    code = filed["tracking_code"]
    assert track(api, filed, right(filed)).status_code == 200
    assert api.call("GET", f"/track/{code}/attachments", headers=right(filed)).status_code == 200
    error_of(track(api, filed, wrong(filed["pin"])), 401, "authentication_required")
    # The budget is shared by every /track endpoint, whatever the answers were.
    response = api.call("POST", f"/track/{code}/actions/confirm", headers=right(filed), json={})
    details = error_of(response, 429, "rate_limited")
    assert details["limit"] == "3 per 1 day"
    assert int(response.headers["Retry-After"]) == details["retry_after_seconds"] > 0
    error_of(track(api, filed, wrong(filed["pin"])), 429, "rate_limited")
    # Refused by the address limit before the PIN is even looked at: the code's own count is untouched.
    assert stored(filed).pin_failures == 1
    # Another address has its own budget; staff endpoints are not limited.
    assert track(api, filed, right(filed), environ_base={"REMOTE_ADDR": "10.20.30.40"}).status_code == 200
    assert api.call("GET", "/sop").status_code == 200


def test_the_address_limit_can_be_switched_off_by_configuration(app, filed):
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], FIXED_NOW=T0, RATELIMIT_ENABLED=False,
                     TRACKING_RATE_LIMIT="1 per day")
    try:
        client = other.test_client()
        for _ in range(3):
            with other.app_context():
                response = client.get(f"/api/v1/track/{filed['tracking_code']}", headers=right(filed))
                assert response.status_code == 200, response.get_json()
    finally:
        with other.app_context():
            db.engine.dispose()
