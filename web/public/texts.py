"""Plain words for citizens: what each state means, what happens next, and what each step was."""

from flask_babel import lazy_gettext as _l

# What the complaint's state means for the person who filed it.
STATUS = {
    "received": _l("Pengaduan Anda sudah diterima dan menunggu diperiksa oleh admin pengaduan."),
    "pending_info": _l("Kami menunggu informasi tambahan dari Anda. Tanpa informasi itu pengaduan tidak dapat "
                       "diproses."),
    "dispositioned": _l("Pengaduan Anda sudah diperiksa dan diteruskan ke instansi yang berwenang."),
    "in_progress": _l("Instansi yang berwenang sedang menangani pengaduan Anda."),
    "returned": _l("Instansi yang menerima menyatakan bukan wewenangnya; admin sedang meneruskannya ke instansi "
                   "lain."),
    "responded": _l("Instansi sudah memberi tanggapan. Baca tanggapannya, lalu beri tahu kami apakah Anda puas."),
    "closed": _l("Pengaduan selesai."),
    "transferred": _l("Pengaduan diteruskan ke instansi di luar Pemerintah Kabupaten Klungkung yang berwenang."),
    "archived": _l("Pengaduan ditutup tanpa tindak lanjut (lihat alasannya di riwayat)."),
}

# Short labels for lists and badges.
SHORT_STATUS = {
    "received": _l("Diterima"),
    "pending_info": _l("Menunggu informasi"),
    "dispositioned": _l("Diteruskan ke instansi"),
    "in_progress": _l("Sedang ditangani"),
    "returned": _l("Dialihkan"),
    "responded": _l("Sudah ditanggapi"),
    "closed": _l("Selesai"),
    "transferred": _l("Diteruskan ke luar kabupaten"),
    "archived": _l("Ditutup"),
}

BADGES = {"received": "badge-info", "pending_info": "badge-warning", "dispositioned": "badge-info",
          "in_progress": "badge-info", "returned": "badge-warning", "responded": "badge-ok", "closed": "badge-ok",
          "transferred": "badge-muted", "archived": "badge-muted"}

# The next step (queries.NEXT_STEPS) and by when, in plain words; %(due)s is a date.
NEXT_STEP = {
    "verify": _l("Admin pengaduan memeriksa dan meneruskan pengaduan Anda paling lambat %(due)s."),
    "supply_info": _l("Kirim informasi yang diminta paling lambat %(due)s. Setelah itu pengaduan ditutup."),
    "respond": _l("Instansi memberi tanggapan pertama paling lambat %(due)s."),
    "resolve": _l("Instansi menyelesaikan pengaduan paling lambat %(due)s."),
    "redispose": _l("Admin meneruskan pengaduan ke instansi yang tepat; penyelesaian tetap paling lambat %(due)s."),
    "answer": _l("Jawab tanggapan paling lambat %(due)s. Tanpa jawaban, pengaduan dianggap selesai."),
}

# What each step in the timeline was, seen by the reporter.
EVENTS = {
    "file": _l("Pengaduan diterima"),
    "verify": _l("Diperiksa dan diteruskan ke instansi"),
    "request_info": _l("Diminta informasi tambahan"),
    "supply_info": _l("Anda mengirim informasi yang diminta"),
    "expire_info": _l("Ditutup karena informasi tidak dikirim"),
    "archive": _l("Ditutup tanpa tindak lanjut"),
    "mark_duplicate": _l("Sama dengan pengaduan lain"),
    "acknowledge": _l("Instansi mulai menangani"),
    "return": _l("Dikembalikan: bukan wewenang instansi"),
    "redispose": _l("Diteruskan ke instansi lain"),
    "transfer_out": _l("Diteruskan ke instansi di luar kabupaten"),
    "respond": _l("Tanggapan instansi"),
    "confirm": _l("Anda menyatakan puas; pengaduan selesai"),
    "dispute": _l("Anda belum puas; kembali ke instansi"),
    "auto_close": _l("Selesai otomatis (tidak ada jawaban dalam batas waktu)"),
    "close": _l("Ditutup oleh admin"),
    "reopen": _l("Dibuka kembali"),
    "escalate": _l("Dinaikkan ke pimpinan"),
    "note": _l("Anda menambahkan informasi"),
    "attach": _l("Lampiran ditambahkan"),
    "rate": _l("Anda memberi penilaian"),
    "ombudsman_notice": _l("Pemberitahuan jalur Ombudsman"),
    "info_reminder": _l("Pengingat: informasi masih ditunggu"),
}

ARCHIVE_REASONS = {
    "out_of_scope": _l("di luar lingkup pengaduan pelayanan publik"),
    "duplicate": _l("sama dengan pengaduan lain"),
    "unintelligible": _l("isi tidak dapat dipahami"),
    "spam": _l("bukan pengaduan"),
    "incomplete": _l("informasi yang diminta tidak dikirim"),
    "withdrawn": _l("dicabut oleh pelapor"),
}

SCORES = {1: _l("Sangat tidak puas"), 2: _l("Tidak puas"), 3: _l("Cukup"), 4: _l("Puas"), 5: _l("Sangat puas")}


def event_label(action: str) -> str:
    """Return the plain label of a timeline step."""
    label = EVENTS.get(action)
    return str(label) if label is not None else str(_l("Pembaruan"))
