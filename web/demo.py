"""Demo data: the Klungkung SOP, one user per role, and realistic complaints in every state.

Every complaint is filed and moved through the real services, back-dated step by step, so the
audit trail, the clocks and the deadlines are exactly what production would hold.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import Clock, Complaint, User
from workflow.services import people
from workflow.services.actions import take_action
from workflow.services.inputs import NewComplaint
from workflow.services.intake import file_complaint
from workflow.services.sop import load_sop_version

# username, role, unit, full name
DEMO_USERS = [
    ("admin", "admin_instansi", "ORG", "Ni Made Sukerti (Admin Bagian Organisasi)"),
    ("koordinator", "coordinator", "KLK", "I Wayan Sudarsana (Tim Koordinasi)"),
    ("inspektorat", "inspector", "INSP", "Ni Ketut Ariani (Inspektorat Daerah)"),
    ("pimpinan", "leader", "KLK", "I Nyoman Suwirta (Pimpinan)"),
    ("sysadmin", "sysadmin", "DISKOMINFO", "I Gede Putra (Diskominfo)"),
    ("fasilitator", "facilitator", "KEC-DAWAN", "Kadek Widiastuti (Perangkat Desa Dawan)"),
    ("pupr", "unit_admin", "PUPRKP", "Komang Adi Saputra (Admin PUPRKP)"),
    ("penghubung-pupr", "penghubung", "PUPRKP", "I Putu Eka Pratama (Pejabat Penghubung PUPRKP)"),
    ("pdam", "unit_admin", "PDAM", "Luh Putu Sari (Admin Perumda Air Minum)"),
    ("penghubung-pdam", "penghubung", "PDAM", "I Made Darma (Pejabat Penghubung Perumda Air Minum)"),
    ("dlhp", "unit_admin", "DLHP", "Ni Wayan Rai (Admin DLHP)"),
    ("penghubung-dlhp", "penghubung", "DLHP", "I Ketut Sudira (Pejabat Penghubung DLHP)"),
]


def password_of(username: str) -> str:
    """Return the demo password of a demo user (printed by ``demo seed``; never use in production)."""
    return f"demo-{username}-2026"


def _complaint(title: str, description: str, category: str, **extra) -> NewComplaint:
    return NewComplaint.model_validate({"title": title, "description": description, "category": category,
                                        **extra})


VERIFY_PUPR = {"unit": "PUPRKP", "class": "pengaduan_tidak_berkadar_pengawasan", "anonymous": False,
               "confidential": False}

# How far back the demo's first complaint was filed; the steps are days after each filing.
DAYS_BACK = 60

# (complaint, [(days after filing, username or "reporter"/"system", action, body)])
SCENARIOS = [
    (_complaint("Jalan berlubang di Jalan Raya Gelgel",
                "Lubang besar di depan Pura Dasar Gelgel, sudah dua motor jatuh minggu ini.", "jalan-rusak",
                location={"desa": "Gelgel", "kecamatan": "Klungkung"},
                reporter={"name": "I Komang Sutama", "phone": "081234567001"}), []),
    (_complaint("Lampu penerangan jalan mati",
                "Lampu jalan mati sejak seminggu, gelap sekali di malam hari.", "lampu-jalan",
                reporter={"name": "Ni Luh Sri", "phone": "081234567002"}),
     [(DAYS_BACK - 2, "admin", "request_info",
       {"comment": "Mohon sebutkan nama jalan dan desa lokasi lampu yang mati."})]),
    (_complaint("Air PDAM tidak mengalir tiga hari",
                "Air PDAM di Banjar Pekandelan tidak mengalir sejak Senin, warga harus membeli air.", "air-pdam",
                location={"desa": "Semarapura Kauh", "kecamatan": "Klungkung"},
                reporter={"name": "I Wayan Gede", "email": "wayan.gede@example.id"}),
     [(1, "admin", "verify", {"unit": "PDAM", "class": "pengaduan_tidak_berkadar_pengawasan",
                              "anonymous": False, "confidential": False})]),
    (_complaint("Sampah menumpuk di dekat Pasar Galiran",
                "Tumpukan sampah di sisi timur Pasar Galiran belum diangkut dan berbau.", "sampah",
                location={"desa": "Semarapura Kangin", "kecamatan": "Klungkung"}, anonymous=True,
                reporter={"name": "Pelapor Rahasia", "phone": "081234567004"}),
     [(1, "admin", "verify", {"unit": "DLHP", "class": "pengaduan_tidak_berkadar_pengawasan",
                              "anonymous": True, "confidential": False}),
      (2, "dlhp", "acknowledge", {"comment": "Tim kebersihan dijadwalkan besok pagi."})]),
    (_complaint("Saluran air tersumbat menyebabkan banjir",
                "Setiap hujan air meluap ke rumah warga karena got tersumbat.", "drainase-banjir",
                location={"desa": "Tangkas", "kecamatan": "Klungkung"}),
     [(1, "admin", "verify", VERIFY_PUPR),
      (3, "pupr", "return", {"comment": "Saluran irigasi subak, kewenangan Dinas Pertanian."})]),
    (_complaint("Jembatan kayu di Nusa Penida rusak",
                "Papan jembatan di Dusun Sebuluh patah, anak sekolah harus memutar jauh.", "jalan-rusak",
                location={"desa": "Bunga Mekar", "kecamatan": "Nusa Penida"},
                reporter={"name": "Made Suarjana", "phone": "081234567006"}),
     [(1, "admin", "verify", VERIFY_PUPR), (2, "pupr", "acknowledge", {}),
      (DAYS_BACK - 2, "penghubung-pupr", "respond", {"comment": "Papan jembatan sudah diganti pada hari Kamis."})]),
    (_complaint("Trotoar rusak di Jalan Gajah Mada",
                "Paving trotoar terangkat, berbahaya bagi pejalan kaki.", "jalan-rusak",
                location={"desa": "Semarapura Tengah", "kecamatan": "Klungkung"},
                reporter={"name": "Ketut Rai", "phone": "081234567007"}),
     [(1, "admin", "verify", VERIFY_PUPR), (2, "pupr", "acknowledge", {}),
      (6, "penghubung-pupr", "respond", {"comment": "Trotoar sudah diperbaiki."}),
      (7, "reporter", "confirm", {"comment": "Terima kasih, sudah rapi."})]),
    (_complaint("Air PDAM keruh",
                "Air yang keluar dari keran berwarna coklat sejak hujan.", "air-pdam",
                location={"desa": "Tojan", "kecamatan": "Klungkung"}),
     [(1, "admin", "verify", {"unit": "PDAM", "class": "pengaduan_tidak_berkadar_pengawasan",
                              "anonymous": False, "confidential": False}),
      (2, "pdam", "acknowledge", {}),
      (4, "penghubung-pdam", "respond", {"comment": "Filter di reservoir sudah dibersihkan."}),
      ("confirmation_due", "system", "auto_close", {})]),
    (_complaint("Pungutan liar di SMA negeri",
                "Sekolah meminta sumbangan wajib Rp 500.000 saat daftar ulang.", "pendidikan",
                reporter={"name": "Orang tua siswa", "phone": "081234567009"}, confidential=True),
     [(1, "admin", "transfer_out", {"target": "Dinas Pendidikan Provinsi Bali (SMA/SMK kewenangan provinsi)",
                                    "comment": "SMA negeri kewenangan Pemerintah Provinsi Bali."})]),
    (_complaint("Promo pinjaman online", "Dapatkan pinjaman cepat tanpa jaminan, hubungi kami.", "lainnya"),
     [(1, "admin", "archive", {"reason": "spam", "comment": "Pesan iklan."})]),
    (_complaint("Pohon tumbang menutup jalan desa",
                "Pohon besar tumbang di jalan menuju Pura Goa Lawah setelah angin kencang.", "pohon-tumbang",
                location={"desa": "Pesinggahan", "kecamatan": "Dawan"}),
     [(1, "admin", "verify", {"unit": "DLHP", "class": "pengaduan_tidak_berkadar_pengawasan",
                              "anonymous": False, "confidential": False}),
      (2, "dlhp", "acknowledge", {}),
      (30, "koordinator", "escalate", {"comment": "Lewat batas waktu penyelesaian; mohon tindak lanjut."})]),
]


def seed(now: datetime) -> list[str]:
    """Load the SOP, create the demo users and file the demo complaints; return what to print."""
    lines = []
    version = load_sop_version("klungkung")
    lines.append(f"SOP {version.code} {version.version} aktif / active")
    if db.session.scalar(select(User.id).filter_by(username="admin")):
        return [*lines, "Data demo sudah ada; tidak diubah. / Demo data already present; left unchanged."]
    actors = {}
    lines.append("Pengguna demo / demo users (username · password · role · unit · API token):")
    for username, role, unit, full_name in DEMO_USERS:
        user = people.create_user(username, role, password_of(username), unit, full_name)
        actors[username] = people.actor_for(user)
        token = people.issue_token(username)
        lines.append(f"  {username:<16} {password_of(username):<28} {role:<15} {unit:<11} {token}")
    start = now - timedelta(days=DAYS_BACK)
    lines.append("Pengaduan demo / demo complaints (tracking code · PIN · state):")
    for index, (new, steps) in enumerate(SCENARIOS):
        filed_at = start + timedelta(hours=3 * index)
        filed = file_complaint(new, actors["fasilitator"] if index % 4 == 3 else None, filed_at)
        complaint = filed.complaint
        for offset, who, action, body in steps:
            moment = _moment(complaint, filed_at, offset, now)
            actor = {"reporter": Actor.reporter(complaint.id), "system": Actor.system()}.get(who) or actors[who]
            take_action(complaint.id, action, actor, moment, body)
        lines.append(f"  {complaint.tracking_code}  PIN {filed.pin}  {complaint.state}")
    return lines


def _moment(complaint: Complaint, filed_at: datetime, offset: int | str, now: datetime) -> datetime:
    if isinstance(offset, str):
        clock = db.session.scalar(select(Clock).filter_by(complaint_id=complaint.id, kind=offset.removesuffix("_due")))
        moment = clock.due_at + timedelta(hours=1)
    else:
        moment = filed_at + timedelta(days=offset, hours=1)
    return min(moment, now)
