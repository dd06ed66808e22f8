"""Words the staff screens show for codes (states, actions, roles, queues, clocks), in the catalog.

Source text is Bahasa Indonesia; ``translations/en/LC_MESSAGES/messages.po`` holds the English.
"""

from flask_babel import lazy_gettext as _l

STATES = {
    "received": _l("Diterima, belum terverifikasi"),
    "pending_info": _l("Tertunda, menunggu kelengkapan dari pelapor"),
    "dispositioned": _l("Terdisposisi, belum ditindaklanjuti"),
    "in_progress": _l("Sedang diproses"),
    "returned": _l("Bukan wewenang, menunggu redisposisi"),
    "responded": _l("Sudah ditanggapi, menunggu konfirmasi pelapor"),
    "closed": _l("Selesai"),
    "transferred": _l("Diteruskan ke instansi lain"),
    "archived": _l("Diarsipkan"),
}

ACTIONS = {
    "verify": _l("Verifikasi dan disposisikan"),
    "request_info": _l("Minta kelengkapan informasi"),
    "supply_info": _l("Catat informasi dari pelapor"),
    "expire_info": _l("Batas kelengkapan habis"),
    "archive": _l("Arsipkan"),
    "mark_duplicate": _l("Tandai sebagai duplikat"),
    "acknowledge": _l("Terima disposisi"),
    "return": _l("Kembalikan (bukan wewenang)"),
    "redispose": _l("Redisposisi ke unit lain"),
    "transfer_out": _l("Teruskan ke instansi lain"),
    "respond": _l("Kirim tanggapan kepada pelapor"),
    "confirm": _l("Pelapor mengonfirmasi selesai"),
    "dispute": _l("Pelapor belum puas"),
    "auto_close": _l("Ditutup otomatis"),
    "close": _l("Tutup pengaduan"),
    "reopen": _l("Buka kembali"),
    "escalate": _l("Eskalasi"),
    # Events that are not lifecycle actions.
    "file": _l("Pengaduan diterima"),
    "attach": _l("Lampiran ditambahkan"),
    "rate": _l("Pelapor memberi penilaian"),
    "lapor_delivered": _l("Terkirim ke SP4N-LAPOR!"),
    "lapor_failed": _l("Gagal dikirim ke SP4N-LAPOR!"),
    "staff_note": _l("Catatan internal"),
    "note": _l("Informasi tambahan dari pelapor"),
    "draft_response": _l("Draf tanggapan"),
    "clock_start": _l("Jam layanan mulai"),
    "clock_stop": _l("Jam layanan berhenti"),
    "clock_pause": _l("Jam layanan dijeda"),
    "clock_resume": _l("Jam layanan berjalan lagi"),
    "clock_expire": _l("Jangka waktu habis"),
    "clock_cancel": _l("Jam layanan dibatalkan"),
    "sla_warning": _l("Peringatan batas waktu"),
    "sla_breach": _l("Batas waktu terlewati"),
    "sla_level2": _l("Dua kali batas waktu"),
    "info_reminder": _l("Pengingat kelengkapan"),
    "ombudsman_notice": _l("Informasi jalur Ombudsman"),
}

# Actions that cannot be undone from the staff screens: their forms ask for an explicit confirmation.
IRREVERSIBLE = frozenset({"archive", "mark_duplicate", "transfer_out", "close"})

ROLES = {
    "facilitator": _l("Fasilitator desa"),
    "admin_instansi": _l("Administrator SP4N (Bagian Organisasi)"),
    "unit_admin": _l("Petugas pengaduan unit"),
    "penghubung": _l("Pejabat penghubung"),
    "coordinator": _l("Tim koordinasi"),
    "inspector": _l("Inspektorat"),
    "leader": _l("Pimpinan"),
    "sysadmin": _l("Sysadmin"),
    "reporter": _l("Pelapor"),
    "system": _l("Sistem"),
}

QUEUES = {
    "incoming": _l("Pengaduan masuk"),
    "returned": _l("Dikembalikan"),
    "pending_info": _l("Menunggu informasi"),
    "dispositioned": _l("Terdisposisi"),
    "in_progress": _l("Sedang diproses"),
    "due_soon": _l("Segera jatuh tempo"),
    "at_risk": _l("Berisiko terlambat"),
    "breached": _l("Melewati batas waktu"),
    "stuck": _l("Macet"),
    "awaiting_approval": _l("Menunggu persetujuan saya"),
    "escalated": _l("Dieskalasi"),
    "open": _l("Semua yang terbuka"),
    "supervision": _l("Semua (berkadar pengawasan dahulu)"),
    "all": _l("Semua"),
}

CLOCKS = {
    "verification": _l("Verifikasi"),
    "response": _l("Tanggapan pertama"),
    "resolution": _l("Penyelesaian"),
    "confirmation": _l("Konfirmasi pelapor"),
    "info": _l("Kelengkapan informasi"),
}

MARKS = {
    "on_time": (_l("Tepat waktu"), "badge-ok"),
    "at_risk": (_l("Berisiko"), "badge-warning"),
    "breached": (_l("Terlambat"), "badge-danger"),
    "paused": (_l("Dijeda"), "badge-muted"),
    "met": (_l("Terpenuhi"), "badge-ok"),
    "expired": (_l("Habis"), "badge-muted"),
    "cancelled": (_l("Dibatalkan"), "badge-muted"),
    "running": (_l("Berjalan"), "badge-info"),
}

ARCHIVE_REASONS = {
    "out_of_scope": _l("Di luar lingkup pengaduan"),
    "duplicate": _l("Duplikat"),
    "unintelligible": _l("Tidak dapat dipahami"),
    "spam": _l("Spam"),
    "incomplete": _l("Tidak lengkap"),
    "withdrawn": _l("Dicabut pelapor"),
}

CHANNELS = {
    "web": _l("Situs web"), "mobile": _l("Aplikasi seluler"), "open311": "Open311", "sms": "SMS",
    "whatsapp": "WhatsApp", "email": _l("Surel"), "phone": _l("Telepon"), "walk_in": _l("Datang langsung"),
    "letter": _l("Surat"), "complaint_box": _l("Kotak pengaduan"), "social_media": _l("Media sosial"),
    "lapor": "SP4N-LAPOR!", "mesadu": "Klungkung Mesadu",
}

ACCOUNT_EVENTS = {
    "created": _l("Akun dibuat"),
    "updated": _l("Peran, unit atau nama diubah"),
    "deactivated": _l("Dinonaktifkan"),
    "activated": _l("Diaktifkan kembali"),
    "password_changed": _l("Kata sandi diganti"),
    "password_reset": _l("Kata sandi diatur ulang"),
    "locked": _l("Dikunci karena kata sandi salah berulang"),
    "unlocked": _l("Kunci dibuka"),
    "handed_over": _l("Serah terima kepada pengganti"),
    "took_over": _l("Menerima serah terima"),
}


def label(table: dict, code: str | None) -> str:
    """Return the words for ``code`` in ``table``, or the code itself when it has none."""
    if code is None:
        return ""
    found = table.get(code)
    if isinstance(found, tuple):
        found = found[0]
    return str(found) if found is not None else code
