"""Security headers for every answer, set once for the whole app.

Pages run only our own scripts and styles (no inline code, so the CSP needs no ``unsafe-inline``),
cannot be framed, and do not leak their address to other sites. Blueprints that show personal data
also send ``Cache-Control: no-store``; an answer that sets a stricter header keeps its own.
"""

from flask import Flask

HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Personal data: never kept by a browser or a shared proxy.
PRIVATE = {"Cache-Control": "no-store"}
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    """Add the headers to every response; HSTS where the app runs behind HTTPS (production)."""

    @app.after_request
    def _secure(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def private(response):
    """Mark a response as personal data (an ``after_request`` hook for staff and report pages)."""
    for name, value in PRIVATE.items():
        response.headers.setdefault(name, value)
    return response
