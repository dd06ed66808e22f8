"""A hidden reporter in free text: the forms their identity takes, and the text others read instead.

An anonymous reporter's name, phone and e-mail are shown to the administrator only (``rules.can_see_identity``);
the public never sees any reporter. People write those details into free text too — their own story, a
dispute, a note, a handler's greeting — so every surface that shows free text to someone who may not know
the reporter blanks them out, in the forms they were given, and a search by them finds nothing there.
"""

import re

from workflow.domain.rules import Actor, can_see_identity
from workflow.models import Complaint

REDACTED = "[disamarkan]"


def redact(complaint: Complaint, text: str | None) -> str | None:
    """Return ``text`` with the reporter's name, phone and e-mail blanked out (any case, common phone forms)."""
    if not text:
        return text
    for form in identity_forms(complaint):
        text = re.sub(re.escape(form), REDACTED, text, flags=re.IGNORECASE)
    return text


def identity_forms(complaint: Complaint) -> list[str]:
    """Return the forms the reporter's identity may take in free text, longest first."""
    forms = {complaint.reporter_name or "", complaint.reporter_email or ""}
    phone = complaint.reporter_phone or ""
    digits = re.sub(r"[^0-9]", "", phone)
    if digits:
        local_digits = "0" + digits[2:] if digits.startswith("62") else digits
        national = local_digits[1:] if local_digits.startswith("0") else local_digits
        forms |= {phone, digits, local_digits, "+62" + national, "62" + national}
    # Very short forms (a one-letter name) would blank ordinary words.
    return sorted((f.strip() for f in forms if len(f.strip()) >= 3), key=len, reverse=True)


def hides_reporter(actor: Actor, complaint: Complaint) -> bool:
    """Return whether ``actor`` reads the complaint's free text with its reporter blanked out."""
    return complaint.anonymous and not can_see_identity(actor)


def shown_text(actor: Actor, complaint: Complaint, text: str | None) -> str | None:
    """Return free text of a complaint as ``actor`` may read it."""
    return redact(complaint, text) if hides_reporter(actor, complaint) else text


def found_only_by_identity(complaint: Complaint, query: str, texts: list[str | None]) -> bool:
    """Return whether ``query`` occurs in ``texts`` only where the hidden reporter was written."""
    needle = query.strip().lower()
    return not any(needle in (redact(complaint, text) or "").lower() for text in texts)
