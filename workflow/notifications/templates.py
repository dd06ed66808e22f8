"""The words of every notice: Bahasa Indonesia first, English alongside, short, with the tracking link.

One template per notice kind (:data:`TEMPLATES`): a subject and one sentence in each language,
filled from :class:`Facts`. :func:`render` gives the short text (SMS, WhatsApp, in-app notices)
and the e-mail subject and body. Reporters' messages carry the link ``{PUBLIC_BASE_URL}/lacak/{code}``;
no message ever carries the PIN.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

# Notices to the reporter: every public step of their complaint.
FILED, VERIFIED, INFO_REQUESTED, INFO_REMINDER = "filed", "verified", "info_requested", "info_reminder"
RESPONDED, CLOSED, ARCHIVED, TRANSFERRED, REOPENED = "responded", "closed", "archived", "transferred", "reopened"
OMBUDSMAN = "ombudsman"
# Notices to staff: work arriving, work coming back, clocks running out, escalations.
NEW_COMPLAINT, ASSIGNED, RETURNED, BOUNCE_ALERT = "new_complaint", "assigned", "returned", "bounce_alert"
DISPUTED, INFO_SUPPLIED = "disputed", "info_supplied"
SLA_WARNING, SLA_BREACH, SLA_LEVEL2, ESCALATED = "sla_warning", "sla_breach", "sla_level2", "escalated"

# A comment quoted in a short message is cut here; the whole text is behind the link.
SHORT_COMMENT = 280

MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

CLOCKS = {"verification": ("verifikasi", "verification"), "response": ("tanggapan pertama", "first response"),
          "resolution": ("penyelesaian", "resolution"), "confirmation": ("konfirmasi", "confirmation"),
          "info": ("kelengkapan informasi", "information")}
ARCHIVE_REASONS = {
    "out_of_scope": ("di luar lingkup pengaduan pelayanan publik", "outside the scope of public-service complaints"),
    "duplicate": ("sama dengan pengaduan lain", "it repeats another complaint"),
    "unintelligible": ("isinya tidak dapat dipahami", "its content could not be understood"),
    "spam": ("bukan pengaduan (spam)", "not a complaint (spam)"),
    "incomplete": ("informasi yang diminta tidak dilengkapi", "the requested information did not arrive"),
    "withdrawn": ("dicabut oleh pelapor", "withdrawn by the reporter"),
}


@dataclass(frozen=True)
class Facts:
    """What a template may say about one complaint and one event."""

    code: str
    tz: ZoneInfo
    link: str = ""
    title: str = ""
    unit: str = ""
    due: datetime | None = None
    comment: str | None = None
    target: str = ""
    reason: str = ""
    closure: str = ""
    clock: str = ""
    level: int = 0
    from_unit: str = ""
    bounces: int = 0


@dataclass(frozen=True)
class Template:
    """A subject and a sentence, each in Bahasa Indonesia and English, with ``{placeholders}``."""

    subject_id: str
    subject_en: str
    id: str
    en: str
    quotes_comment: bool = False


@dataclass(frozen=True)
class Rendered:
    """A notice ready to send: the short text (SMS, WhatsApp, in-app) and the e-mail subject and body."""

    text: str
    subject: str
    body: str


TEMPLATES: dict[str, Template] = {
    # --- to the reporter ---
    FILED: Template("Pengaduan diterima", "Complaint received",
                    "Pengaduan Anda diterima dengan kode {code}. Lacak dengan kode ini dan PIN Anda.",
                    "Your complaint was received as {code}. Track it with this code and your PIN."),
    VERIFIED: Template("Pengaduan diverifikasi", "Complaint verified",
                       "Pengaduan {code} sudah diverifikasi dan diteruskan ke {unit}.",
                       "Complaint {code} was verified and passed to {unit}."),
    INFO_REQUESTED: Template("Mohon lengkapi informasi", "Information needed",
                             "Pengaduan {code} memerlukan informasi tambahan dari Anda paling lambat {due_id}.",
                             "Complaint {code} needs more information from you by {due_en}.", quotes_comment=True),
    INFO_REMINDER: Template("Pengingat: informasi belum dilengkapi", "Reminder: information still needed",
                            "Pengingat: pengaduan {code} masih menunggu informasi dari Anda paling lambat {due_id}; "
                            "jika tidak, pengaduan diarsipkan.",
                            "Reminder: complaint {code} still needs your information by {due_en}, or it will be "
                            "archived."),
    RESPONDED: Template("Pengaduan ditanggapi", "Complaint answered",
                        "Pengaduan {code} sudah ditanggapi. Nyatakan selesai atau sanggah paling lambat {due_id}.",
                        "Complaint {code} has been answered. Confirm or dispute the answer by {due_en}.",
                        quotes_comment=True),
    f"{CLOSED}:confirmed": Template("Pengaduan selesai", "Complaint closed",
                                    "Pengaduan {code} selesai. Terima kasih atas konfirmasi Anda.",
                                    "Complaint {code} is closed. Thank you for confirming."),
    f"{CLOSED}:auto": Template("Pengaduan selesai", "Complaint closed",
                               "Pengaduan {code} ditutup karena tidak ada konfirmasi sampai batas waktu.",
                               "Complaint {code} was closed: no confirmation came before the deadline."),
    f"{CLOSED}:admin": Template("Pengaduan ditutup", "Complaint closed",
                                "Pengaduan {code} ditutup oleh administrator.",
                                "Complaint {code} was closed by the administrator.", quotes_comment=True),
    ARCHIVED: Template("Pengaduan diarsipkan", "Complaint archived",
                       "Pengaduan {code} diarsipkan: {reason_id}.", "Complaint {code} was archived: {reason_en}.",
                       quotes_comment=True),
    TRANSFERRED: Template("Pengaduan diteruskan", "Complaint passed on",
                          "Pengaduan {code} diteruskan ke {target}, yang berwenang menanganinya.",
                          "Complaint {code} was passed to {target}, which is responsible for it.", quotes_comment=True),
    REOPENED: Template("Pengaduan dibuka kembali", "Complaint reopened",
                       "Pengaduan {code} dibuka kembali dan ditangani lagi oleh {unit}.",
                       "Complaint {code} was reopened and is handled again by {unit}.", quotes_comment=True),
    OMBUDSMAN: Template("Pengaduan melewati batas waktu", "Complaint overdue",
                        "Pengaduan {code} belum selesai jauh melewati batas waktu. Anda dapat melaporkannya ke "
                        "Ombudsman RI Perwakilan Provinsi Bali (ombudsman.go.id, 137).",
                        "Complaint {code} is long overdue; you may report it to the Ombudsman of the Republic "
                        "of Indonesia, Bali office (ombudsman.go.id, 137)."),
    # --- to staff (in-app) ---
    NEW_COMPLAINT: Template("Pengaduan baru", "New complaint",
                            "Pengaduan baru {code} ({title}); verifikasi paling lambat {due_id}.",
                            "New complaint {code} ({title}); verify it by {due_en}."),
    ASSIGNED: Template("Pengaduan untuk unit Anda", "Complaint for your unit",
                       "Pengaduan {code} ({title}) didisposisikan ke {unit}; tanggapi paling lambat {due_id}.",
                       "Complaint {code} ({title}) was assigned to {unit}; respond by {due_en}."),
    RETURNED: Template("Pengaduan dikembalikan", "Complaint returned",
                       "Pengaduan {code} ({title}) dikembalikan oleh {from_unit} (bukan wewenang); "
                       "mohon disposisikan ulang.",
                       "Complaint {code} ({title}) was returned by {from_unit} (not its authority); please "
                       "dispose it again.", quotes_comment=True),
    BOUNCE_ALERT: Template("Pengaduan berulang kali dikembalikan", "Complaint bounced repeatedly",
                           "Pengaduan {code} ({title}) sudah {bounces} kali dikembalikan; tim koordinasi perlu "
                           "menetapkan unit yang tepat.",
                           "Complaint {code} ({title}) was returned {bounces} times; the coordination team must "
                           "settle the right unit."),
    DISPUTED: Template("Pelapor belum puas", "Answer disputed",
                       "Pelapor belum puas dengan tanggapan atas pengaduan {code} ({title}); pengaduan kembali "
                       "diproses.",
                       "The reporter disputes the answer to complaint {code} ({title}); it is back in progress.",
                       quotes_comment=True),
    INFO_SUPPLIED: Template("Informasi dilengkapi", "Information supplied",
                            "Pelapor telah melengkapi informasi untuk pengaduan {code} ({title}).",
                            "The reporter supplied the information for complaint {code} ({title}).",
                            quotes_comment=True),
    f"{REOPENED}:staff": Template("Pengaduan dibuka kembali", "Complaint reopened",
                                  "Pengaduan {code} ({title}) dibuka kembali dan kembali ke {unit}.",
                                  "Complaint {code} ({title}) was reopened and is back with {unit}.",
                                  quotes_comment=True),
    SLA_WARNING: Template("Batas waktu hampir habis", "Deadline close",
                          "Batas waktu {clock_id} pengaduan {code} ({title}) hampir habis: {due_id}.",
                          "The {clock_en} deadline of complaint {code} ({title}) is close: {due_en}."),
    SLA_BREACH: Template("Batas waktu terlewati", "Deadline missed",
                         "Batas waktu {clock_id} pengaduan {code} ({title}) terlewati ({due_id}); mohon segera "
                         "ditindaklanjuti.",
                         "The {clock_en} deadline of complaint {code} ({title}) was missed ({due_en}); please act "
                         "now."),
    SLA_LEVEL2: Template("Eskalasi tingkat 2", "Escalation level 2",
                         "Pengaduan {code} ({title}) melewati dua kali batas waktu {clock_id} atau terlalu lama "
                         "terbuka: eskalasi ke tim koordinasi dan Inspektorat.",
                         "Complaint {code} ({title}) is at twice its {clock_en} limit or open too long: escalated "
                         "to the coordination team and the Inspectorate."),
    ESCALATED: Template("Eskalasi tingkat {level}", "Escalation level {level}",
                        "Pengaduan {code} ({title}) dieskalasi ke tingkat {level}.",
                        "Complaint {code} ({title}) was escalated to level {level}.", quotes_comment=True),
}


def render(kind: str, facts: Facts, variant: str | None = None) -> Rendered:
    """Fill the template of ``kind`` (and ``variant``, e.g. a closure) with ``facts``."""
    template = TEMPLATES.get(f"{kind}:{variant}") if variant else None
    template = template or TEMPLATES[kind]
    fields = _fields(facts)
    sentence_id, sentence_en = template.id.format(**fields), template.en.format(**fields)
    subject = (f"[{facts.code}] {template.subject_id.format(**fields)} / "
               f"{template.subject_en.format(**fields)}")
    comment = (facts.comment or "").strip() if template.quotes_comment else ""
    short = f"{sentence_id} / {sentence_en}"
    if comment:
        short += f'\n"{_cut(comment, SHORT_COMMENT)}"'
    if facts.link:
        short += f"\n{facts.link}"
    body = [sentence_id]
    if comment:
        body += ["", comment]
    if facts.link:
        body += ["", f"Lacak pengaduan / Track the complaint: {facts.link}"]
    body += ["", sentence_en, "", "--",
             "Pesan otomatis Aduflow (SP4N-LAPOR! Kabupaten Klungkung); mohon tidak membalas. / "
             "Automated message; please do not reply."]
    return Rendered(text=short, subject=subject, body="\n".join(body) + "\n")


def day_id(moment: datetime | None, tz: ZoneInfo) -> str:
    """Return a deadline's day in Bahasa Indonesia, e.g. 'Jumat, 27 Maret 2026'."""
    if moment is None:
        return "-"
    day = moment.astimezone(tz)
    return f"{DAYS_ID[day.weekday()]}, {day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def day_en(moment: datetime | None, tz: ZoneInfo) -> str:
    """Return a deadline's day in English, e.g. 'Friday 27 March 2026'."""
    if moment is None:
        return "-"
    day = moment.astimezone(tz)
    return f"{DAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def _fields(facts: Facts) -> dict:
    clock_id, clock_en = CLOCKS.get(facts.clock, (facts.clock, facts.clock))
    reason_id, reason_en = ARCHIVE_REASONS.get(facts.reason, (facts.reason, facts.reason))
    return {"code": facts.code, "title": _cut(facts.title, 80), "unit": facts.unit or "-",
            "due_id": day_id(facts.due, facts.tz), "due_en": day_en(facts.due, facts.tz), "target": facts.target,
            "reason_id": reason_id, "reason_en": reason_en, "clock_id": clock_id, "clock_en": clock_en,
            "level": facts.level, "from_unit": facts.from_unit or "-", "bounces": facts.bounces}


def _cut(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"
