"""Security headers for every answer, and the NUL refusal for every request, set once for the whole app.

Pages run only our own scripts and styles (no inline code, so the CSP needs no ``unsafe-inline``),
cannot be framed, and do not leak their address to other sites. Blueprints that show personal data
also send ``Cache-Control: no-store``; an answer that sets a stricter header keeps its own.
"""

from flask import Flask, request

from workflow.services.inputs import NUL, nul_refused

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
# A url-encoded form larger than this is refused by Werkzeug anyway (max_form_memory_size).
CHECKED_FORM_BYTES = 1_000_000


def register(app: Flask) -> None:
    """Add the headers to every response; HSTS where the app runs behind HTTPS (production)."""

    @app.before_request
    def _refuse_nul():
        # Paths, query strings, headers and forms; JSON bodies are refused where they are parsed
        # (workflow.services.inputs.parse), and uploaded files are binary.
        if found := nul_carriers():
            raise nul_refused(found)

    @app.after_request
    def _secure(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def nul_carriers() -> list[str]:
    """Return where the request carries a NUL character: the path, a query or form field, a header."""
    found = ["path"] if NUL in request.path else []
    found += [name for name, value in request.args.items(multi=True) if NUL in name or NUL in value]
    found += [name for name, value in request.headers.items() if NUL in value]
    if request.mimetype == "application/x-www-form-urlencoded" and (request.content_length or 0) <= CHECKED_FORM_BYTES:
        # The raw body, cached for the view (Open311 decodes it strictly itself): %00 is the encoded NUL.
        raw = request.get_data(cache=True)
        if b"\x00" in raw or b"%00" in raw:
            found.append("form")
    elif request.mimetype == "multipart/form-data":
        # Parsed within MAX_CONTENT_LENGTH, as the CSRF check would parse it anyway; the text fields only.
        found += [name or "-" for name, value in request.form.items(multi=True)  # a part may come without a name
                  if NUL in (name or "") or NUL in (value or "")]
    return found


def private(response):
    """Mark a response as personal data (an ``after_request`` hook for staff and report pages)."""
    for name, value in PRIVATE.items():
        response.headers.setdefault(name, value)
    return response
