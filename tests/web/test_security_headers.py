"""Every answer carries the security headers; production refuses an unsafe start."""

import pytest

from web import create_app


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


def test_production_refuses_a_missing_secret_and_debug_mode(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="Debug"):
        create_app("production")


def test_production_sends_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    production = create_app("production")
    response = production.test_client().get("/api/v1/openapi.json")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_collision_in_an_audit_chain_is_a_conflict_not_a_crash(app):
    from sqlalchemy.exc import IntegrityError

    @app.get("/_collide")
    def collide():
        raise IntegrityError("INSERT …", {}, Exception("duplicate key value violates unique constraint "
                                                       "uq_complaint_events_complaint_id_seq"))

    response = app.test_client().get("/_collide")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "version_conflict"
