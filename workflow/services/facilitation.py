"""A village facilitator files a complaint for a citizen who cannot use the channels alone.

The citizen must agree first: the facilitator records that they did and how (spoken, signed,
thumbprint, through a companion). The consent is an internal audit event written in the same
transaction as the filing, so a complaint filed by a facilitator without recorded consent cannot
exist. The complaint is entered by the facilitator (who may then follow it) and the citizen gets
the tracking code and PIN on the printed receipt, and by SMS or e-mail when a contact is given.
"""

from dataclasses import dataclass
from datetime import datetime

from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import Role
from workflow.models import ComplaintEvent
from workflow.services.inputs import NewComplaint
from workflow.services.intake import Filed, file_complaint

# How the citizen gave consent: (Indonesian, English).
CONSENT_METHODS = {
    "lisan": ("Secara lisan, di hadapan fasilitator", "Spoken, in the facilitator's presence"),
    "tanda_tangan": ("Tanda tangan pada formulir persetujuan", "Signed the consent form"),
    "cap_jempol": ("Cap jempol pada formulir persetujuan", "Thumbprint on the consent form"),
    "pendamping": ("Melalui keluarga atau pendamping yang ditunjuk warga", "Through a family member or companion "
                                                                           "the citizen chose"),
}
CONSENT = "consent"
MAX_CONSENT_NOTE = 300


@dataclass(frozen=True)
class Consent:
    """The citizen's consent to have the complaint filed for them, and how it was given."""

    given: bool
    method: str | None = None
    note: str | None = None


def file_for_citizen(new: NewComplaint, consent: Consent, actor: Actor, now: datetime) -> Filed:
    """File ``new`` for a citizen, with their recorded consent, as the facilitator ``actor``."""
    if actor.role is not Role.facilitator:
        raise PermissionDenied("Hanya fasilitator desa yang mengajukan pengaduan atas nama warga. / Only a village "
                               "facilitator files complaints on a citizen's behalf.", {"role": actor.role.value})
    problems = {}
    if not consent.given:
        problems["consent"] = ("warga harus menyetujui pengaduan diajukan atas namanya / the citizen must agree to "
                               "the complaint being filed for them")
    if consent.method not in CONSENT_METHODS:
        problems["consent_method"] = f"pilih / choose: {', '.join(CONSENT_METHODS)}"
    note = (consent.note or "").strip() or None
    if note is not None and len(note) > MAX_CONSENT_NOTE:
        problems["consent_note"] = f"paling banyak {MAX_CONSENT_NOTE} karakter / at most {MAX_CONSENT_NOTE} characters"
    if problems:
        raise InvalidInput("Persetujuan warga belum tercatat. / The citizen's consent is not recorded.", problems)
    filed = file_complaint(new, actor, now)
    db.session.add(ComplaintEvent(
        complaint_id=filed.complaint.id, at=now, actor_id=actor.user_id, actor_role=actor.role.value,
        action=CONSENT, internal=True, comment=note, details={"given": True, "method": consent.method}))
    db.session.flush()
    return filed
