"""The dashboard, the report pages, the action-plan pages and the indicators API, through HTTP."""

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.conftest import T0, VERIFY
from tests.web.conftest import error_of
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import AssessmentPriority, ImprovementCommitment, ProgrammeRealisation, TrainingAttendance

PASSWORD = "correct-horse-battery"
TICKS = {1: 3, 2: 3, 3: 3, 4: 4, 5: 3, 6: 3, 7: 3, 8: 3, 9: 3, 10: 3, 11: 3, 12: 3, 13: 3, 14: 3, 15: 4, 16: 4,
         17: 3, 18: 3, 19: 3, 20: 3}


class Client:
    """A signed-in browser stand-in: keeps cookies, reads CSRF tokens, one app context per request."""

    def __init__(self, app):
        self.app, self.client, self.last = app, app.test_client(), ""

    def get(self, path: str, **kwargs):
        """Send a GET."""
        return self._send("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        """Send a form POST carrying the CSRF token of the last page."""
        data = dict(data or {})
        data.setdefault("csrf_token", re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.last).group(1))
        return self._send("POST", path, data=data, **kwargs)

    def login(self, username: str):
        """Sign in through the staff sign-in form."""
        self.get("/staf/masuk")
        return self.post("/staf/masuk", {"username": username, "password": PASSWORD})

    def _send(self, method: str, path: str, **kwargs):
        db.session.commit()
        with self.app.app_context():
            response = self.client.open(path, method=method, **kwargs)
            response.get_data()
            response.close()  # a server closes a sent file once the body is out
            if response.mimetype == "text/html":
                self.last = response.get_data(as_text=True)
        db.session.expire_all()
        return response


def text_of(html: str) -> str:
    """Return the visible text of a page, roughly."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def client(app, staff):
    """Return a client signed in as the leader."""
    signed_in = Client(app)
    signed_in.login("leader")
    return signed_in


@pytest.fixture
def resolved(app, staff, file, act):
    """File three complaints in March 2026: one resolved on time with tags, one archived, one open."""
    first = file().complaint.id
    act(first, "verify", staff["admin"].actor, T0, **VERIFY)
    act(first, "acknowledge", staff["pupr"].actor, T0)
    act(first, "respond", staff["penghubung_pupr"].actor, T0, comment="Sudah ditambal.", failures=["facilities"],
        substantiated=True)
    act(first, "confirm", Actor.reporter(first), T0)
    second = file(title="Iklan").complaint.id
    act(second, "archive", staff["admin"].actor, T0, reason="spam")
    file(title="Lampu mati")
    return first


def test_the_pages_need_a_signed_in_staff_member(app, staff):
    anonymous = Client(app)
    response = anonymous.get("/laporan/")
    assert response.status_code == 302 and "/staf/masuk" in response.headers["Location"]
    assert anonymous.get("/laporan/static/reports.css").status_code == 200


def test_the_dashboard_shows_targets_trend_opds_breaches_and_satisfaction(client, resolved):
    response = client.get("/laporan/?period=2026")
    assert response.status_code == 200
    page = text_of(client.last)
    assert "Dasbor pimpinan: Tahun 2026" in page
    assert "Target rencana aksi (Tabel 3.1)" in page
    assert "Target tahun ini belum ditetapkan" in page
    assert "Kepuasan: belum ada data" in page
    assert page.count("<svg") == 0 and client.last.count("<svg") >= 4
    assert '<title id="chart-' in client.last and "<desc id=" in client.last
    # The resolved-percent chart and its table: 1 resolved of 2 the regency had to resolve.
    assert "50 %" in page
    assert "OPD paling tepat waktu" in page and "Dinas Pekerjaan Umum" in page
    assert "style=" not in client.last.split("<main", 1)[1]
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_the_semester_report_prints_the_three_lenses_and_downloads_as_xlsx(client, resolved):
    response = client.get("/laporan/semester/2026-S1")
    assert response.status_code == 200
    page = text_of(client.last)
    for heading in ("Kelembagaan", "Proses", "Dampak", "Tabel 3.1", "Tabel 3.2", "Tabel 2.2", "Tabel 3.3",
                    "Ringkasan audit pelanggaran batas waktu", "Pasal 8"):
        assert heading in page, heading
    workbook = client.get("/laporan/semester/2026-S1.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["Content-Disposition"] == 'attachment; filename="laporan-semester-2026-S1.xlsx"'
    sheet = load_workbook(io.BytesIO(workbook.data))["Tabel 3.1"]
    assert [c.value for c in sheet[2]][:3] == ["Jumlah pengaduan yang diterima", "pengaduan", 3]
    assert [c.value for c in sheet[3]][2] == 50.0


def test_the_annual_report_is_addressed_to_the_governor_and_the_minister(client, resolved):
    assert client.get("/laporan/tahunan/2026").status_code == 200
    page = text_of(client.last)
    assert "Pasal 9" in page and "Gubernur Bali" in page and "Menteri Pendayagunaan" in page
    book = load_workbook(io.BytesIO(client.get("/laporan/tahunan/2026.xlsx").data))
    assert {"Ringkasan", "Indikator", "Per OPD", "Audit pelanggaran SLA", "Realisasi program",
            "Penilaian mandiri"} <= set(book.sheetnames)


def test_the_dashboard_speaks_english_on_request(client, resolved):
    client.get("/bahasa/en")
    client.get("/laporan/")
    page = text_of(client.last)
    assert "Leader dashboard: Year 2026" in page and "Monthly trend" in page and "Satisfaction: no data yet" in page


def test_a_wrong_period_gets_an_error_page_naming_it(client):
    response = client.get("/laporan/semester/2026")
    assert response.status_code == 422
    assert "period" in text_of(client.last) and "2026-S1" in text_of(client.last)
    assert client.get("/laporan/?period=2026-S3").status_code == 422


def test_the_plan_matrix_records_realisation_and_evidence(app, client, staff, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    admin = Client(app)
    admin.login("admin")
    assert admin.get("/laporan/rencana-aksi").status_code == 200
    assert "Integrasi Klungkung Mesadu dengan SP4N LAPOR!" in text_of(admin.last)
    response = admin.post("/laporan/rencana-aksi/3.3.2/2023", {"status": "in_progress", "percent": "40",
                                                                "notes": "API Mesadu diuji."})
    assert response.status_code == 303
    realisation = db.session.query(ProgrammeRealisation).one()
    assert (realisation.activity_code, realisation.year, realisation.percent) == ("3.3.2", 2023, 40)
    admin.get("/laporan/rencana-aksi")
    upload = admin.post("/laporan/rencana-aksi/3.3.2/2023/bukti",
                        {"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "uji-api.pdf")},
                        content_type="multipart/form-data")
    assert upload.status_code == 303
    admin.get("/laporan/rencana-aksi")
    link = re.search(r'href="(/laporan/bukti/\d+)">uji-api.pdf', admin.last).group(1)
    assert admin.get(link).data == b"%PDF-1.4\n%%EOF\n"
    # The leader reads but may not record.
    client.get("/laporan/rencana-aksi")
    refused = client.post("/laporan/rencana-aksi/3.3.2/2023", {"status": "done"})
    assert refused.status_code == 303
    client.get("/laporan/rencana-aksi")
    assert "tidak berwenang" in text_of(client.last)
    assert db.session.get(ProgrammeRealisation, realisation.id).status == "in_progress"


def test_commitments_and_training_are_recorded_through_forms(app, staff, resolved):
    coordinator = Client(app)
    coordinator.login("coordinator")
    coordinator.get("/laporan/janji-perbaikan?period=2026")
    assert "Sarana dan prasarana" in text_of(coordinator.last)
    response = coordinator.post("/laporan/janji-perbaikan", {
        "year": "2026", "unit": "PUPRKP", "failure_kind": "facilities", "title": "Tambal lubang dalam 48 jam",
        "owner": "Kabid Bina Marga", "due_on": "2026-06-30", "description": ""})
    assert response.status_code == 303
    commitment = db.session.query(ImprovementCommitment).one()
    coordinator.get("/laporan/janji-perbaikan?period=2026")
    assert "Tambal lubang dalam 48 jam" in text_of(coordinator.last)
    coordinator.post(f"/laporan/janji-perbaikan/{commitment.id}", {"status": "in_progress",
                                                                    "progress_note": "Tim reaksi cepat dibentuk."})
    assert db.session.get(ImprovementCommitment, commitment.id).status == "in_progress"
    coordinator.get("/laporan/pelatihan")
    coordinator.post("/laporan/pelatihan", {"activity": "2.2.1", "username": "pupr", "attended_on": "2026-02-10",
                                            "note": "Angkatan I"})
    assert db.session.query(TrainingAttendance).count() == 1
    coordinator.get("/laporan/pelatihan?year=2026")
    assert "1 dari 6 pengelola telah mengikuti bimtek" in text_of(coordinator.last)


def test_a_self_assessment_round_from_opening_to_the_berita_acara(app, staff):
    coordinator = Client(app)
    coordinator.login("coordinator")
    coordinator.get("/laporan/penilaian-mandiri")
    opened = coordinator.post("/laporan/penilaian-mandiri", {"title": "Penilaian 2026", "year": "2026",
                                                             "place": "Semarapura", "held_on": "2026-03-16"})
    round_path = opened.headers["Location"]
    respondent = Client(app)
    respondent.login("pupr")
    respondent.get(round_path)
    assert "Isi penilaian Anda" in text_of(respondent.last)
    respondent.post(round_path + "/jawaban", {f"statement_{n}": str(v) for n, v in TICKS.items()})
    respondent.get(round_path)
    assert "Anda sudah mengisi penilaian" in text_of(respondent.last)
    coordinator.get(round_path)
    coordinator.post(round_path + "/tutup", {"notes": "Diisi secara elektronik."})
    coordinator.get(round_path)
    ranks = {"sdm": 1, "data_aplikasi": 2, "koordinasi_monev": 3, "kebijakan": 4, "partisipasi": 5}
    form = {f"rank_{code}": str(rank) for code, rank in ranks.items()} | {f"reason_{code}": f"Alasan {code}"
                                                                          for code in ranks}
    assert coordinator.post(round_path + "/prioritas", form).status_code == 303
    assert db.session.query(AssessmentPriority).count() == 5
    coordinator.get(round_path + "/berita-acara")
    page = text_of(coordinator.last)
    assert "Berita acara pelaksanaan penilaian mandiri" in page and "19/6" in page and "3,1667" in page
    book = load_workbook(io.BytesIO(coordinator.get(round_path + "/berita-acara.xlsx").data))
    aspects = list(book["Aspek dan prioritas"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[1], row[3], row[5]) for row in aspects][:2] == [
        ("Sumber Daya Manusia", "3/1", 3.0, 1), ("Pemanfaatan Data dan Optimalisasi Aplikasi", "3/1", 3.0, 2)]


def test_the_report_commands_write_the_files(app, resolved, tmp_path):
    runner = app.test_cli_runner()
    db.session.commit()
    out = tmp_path / "laporan"
    result = runner.invoke(args=["report", "semester", "2026-1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["laporan-semester-2026-S1.html", "laporan-semester-2026-S1.xlsx"]
    html = (out / "laporan-semester-2026-S1.html").read_text(encoding="utf-8")
    # A file that opens and prints on its own: the styles inside, nothing fetched.
    assert "Pasal 8" in html and "<style>" in html and "<link" not in html and "<script" not in html
    sheet = load_workbook(out / "laporan-semester-2026-S1.xlsx")["Tabel 3.1"]
    assert sheet["C2"].value == 3
    result = runner.invoke(args=["report", "annual", "2026", "--out", str(out), "--format", "xlsx"])
    assert result.exit_code == 0 and (out / "laporan-tahunan-2026.xlsx").exists()
    assert not (out / "laporan-tahunan-2026.html").exists()
    assert runner.invoke(args=["report", "annual", "2026-1", "--out", str(out)]).exit_code != 0
    assert runner.invoke(args=["report", "check", "--deep"]).output.strip() == "indicators OK"
    assert "rebuilt from 3 complaints" in runner.invoke(args=["report", "rebuild"]).output


# --- GET /api/v1/indicators ---------------------------------------------------------------------------

def test_the_indicators_api_serves_a_year_or_a_semester_to_staff(api, staff, resolved):
    body = api.ok("GET", "/indicators?year=2026", staff["inspector"])
    assert body["period"]["code"] == "2026"
    assert (body["figures"]["received"], body["figures"]["resolved_percent"]) == (3, 50.0)
    assert body["table_3_1"][0]["indicator"] == "received"
    semester = api.ok("GET", "/indicators?period=2026-S1&breakdown=unit", staff["pupr"])
    assert {row["key"] for row in semester["breakdown"]["rows"]} == {"PUPRKP", ""}
    assert api.ok("GET", "/indicators", staff["leader"])["period"]["code"] == "2026"  # FIXED_NOW is in 2026


def test_the_indicators_api_refuses_the_public_and_bad_periods(api, staff):
    error_of(api.get("/indicators?year=2026"), 401, "authentication_required")
    assert "period" in error_of(api.get("/indicators?year=2026&period=2026-S1", staff["leader"]), 422,
                                "invalid_input")
    assert "year" in error_of(api.get("/indicators?year=26", staff["leader"]), 422, "invalid_input")
    assert "breakdown" in error_of(api.get("/indicators?year=2026&breakdown=desa", staff["leader"]), 422,
                                   "invalid_input")


def test_as_of_follows_the_clock_of_the_request(api, app, staff):
    app.config["FIXED_NOW"] = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    assert api.ok("GET", "/indicators", staff["leader"])["as_of"] == "2026-07-01T10:00:00+08:00"
