"""A hidden reporter in free text: the forms their identity takes, and the text others read instead.

An anonymous reporter's name, phone and e-mail are shown to the administrator only (``rules.can_see_identity``);
the public never sees any reporter. People write those details into free text too — their own story, a
dispute, a note, a handler's greeting — so every surface that shows free text to someone who may not know
the reporter blanks them out — the name and each word of it, the e-mail, the phone however it is spaced, and
any NIK or family-card number — and a search by them finds nothing there. A nickname or a name misspelt is
beyond what can be recognised; the administrator's view is the only one that shows the reporter.
"""

import re
from functools import lru_cache

from workflow.domain.rules import Actor, can_see_identity
from workflow.models import Complaint

REDACTED = "[disamarkan]"
# A NIK (the national identity number) or a family-card number: sixteen digits, as typed or spaced in fours.
NATIONAL_ID = r"(?<!\d)\d{4}(?:[ .-]?\d{4}){3}(?!\d)"
NATIONAL_ID_DIGITS = 16
# What people put between the digits of a phone number: 0812-3456-7890, (0812) 345 67890, +62.812…
PHONE_SEPARATOR = r"[\s.()-]*"
# A name word this short (I, Ni, Md) would blank ordinary words.
SHORTEST_WORD = 3
# Indonesian numbers have 9 to 12 digits after the prefix; a stored "123" must not blank every 23 in a text.
SHORTEST_NUMBER = 6
_DIGIT = re.compile(r"\d")


def redact(complaint: Complaint, text: str | None) -> str | None:
    """Return ``text`` with the reporter's name (and each word of it), phone, e-mail and any NIK blanked out."""
    if not text:
        return text
    digits = "".join(_DIGIT.findall(text))
    national = _national_digits(complaint.reporter_phone or "")
    # The pattern holds only the alternatives that can match this text: the phone's, the costly one to compile
    # (a sweep's notices name hundreds of reporters), matches only where its digits follow one another among
    # the text's digits, and a NIK needs sixteen of them. Leaving out what cannot match changes no result.
    phone = national if len(national) >= SHORTEST_NUMBER and national in digits else ""
    return _identity_pattern(complaint.reporter_name or "", complaint.reporter_email or "", phone,
                             len(digits) >= NATIONAL_ID_DIGITS).sub(REDACTED, text)


def _word_alternatives(name: str, email: str) -> list[str]:
    alternatives = [re.escape(email.strip())] if len(email.strip()) >= SHORTEST_WORD else []
    words = name.split()
    if words:
        # The whole name with any spacing, then each word of it on its own (people write "Bu Sekarwangi").
        alternatives.append(r"\s+".join(map(re.escape, words)))
        alternatives += [rf"\b{re.escape(word)}\b" for word in sorted(set(words), key=len, reverse=True)
                         if len(word) >= SHORTEST_WORD]
    return alternatives


def _alternation(alternatives: list[str]) -> re.Pattern:
    # No alternative at all: a pattern that never matches.
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives) or "(?!)", re.IGNORECASE)


def identity_forms(complaint: Complaint) -> list[str]:
    """Return the forms the reporter's identity may take in free text, longest first."""
    forms = {complaint.reporter_name or "", complaint.reporter_email or ""}
    phone = complaint.reporter_phone or ""
    national = _national_digits(phone)
    if len(national) >= SHORTEST_NUMBER:
        forms |= {phone, "0" + national, "+62" + national, "62" + national}
    return sorted((f.strip() for f in forms if len(f.strip()) >= SHORTEST_WORD), key=len, reverse=True)


@lru_cache(maxsize=4096)
def _identity_pattern(name: str, email: str, national: str, national_id: bool) -> re.Pattern:
    # One compiled alternation per identity (and per choice of alternatives), cached: a page or an Open311 list
    # redacts the same few reporters' texts many times, and compiling is what cost the time.
    alternatives = _word_alternatives(name, email)
    if national:
        # The number with or without its country or trunk prefix, whatever is typed between the digits.
        digits = PHONE_SEPARATOR.join(national)
        alternatives.append(rf"(?<!\d)(?:\(?(?:\+?62|0){PHONE_SEPARATOR})?{digits}(?!\d)")
    if national_id:
        alternatives.append(NATIONAL_ID)
    return _alternation(alternatives)


@lru_cache(maxsize=4096)
def _national_digits(phone: str) -> str:
    # 0812…, 62812…, +62 812… all become 812…: the part every written form of an Indonesian number shares.
    digits = re.sub(r"[^0-9]", "", phone)
    if digits.startswith("62"):
        return digits[2:]
    return digits[1:] if digits.startswith("0") else digits


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
