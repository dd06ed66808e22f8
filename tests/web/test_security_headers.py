"""Every answer carries the security headers; staff pages are never cached."""

import pytest


@pytest.mark.parametrize("path", ["/", "/adukan", "/staf/masuk", "/api/v1/sop", "/open311/v2/services.json"])
def test_every_surface_sends_the_security_headers(app, path):
    response = app.test_client().get(path)
    assert response.status_code < 500
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests: HSTS would lock it


def test_staff_pages_are_never_cached(app):
    assert app.test_client().get("/staf/masuk").headers["Cache-Control"] == "no-store"


# Production refusing to start without a secret or in debug mode, and its HSTS and cookies: tests/security/test_web.py.


def test_a_collision_in_an_audit_chain_is_a_conflict_not_a_crash(app):
    from sqlalchemy.exc import IntegrityError

    @app.get("/_collide")
    def collide():
        raise IntegrityError("INSERT …", {}, Exception("duplicate key value violates unique constraint "
                                                       "uq_complaint_events_complaint_id_seq"))

    response = app.test_client().get("/_collide")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "version_conflict"
