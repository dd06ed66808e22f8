"""The reports and the berita acara as XLSX workbooks (through web/exports.py: formulas neutralised)."""

from web.exports import Sheet
from workflow.services.commitments import FAILURE_LABELS
from workflow.services.indicators import ARCHIVE_REASONS
from workflow.services.programmes import STATUS_LABELS

BREAKDOWN_TITLES = {"opd": "Per OPD", "class": "Per kelas", "category": "Per kategori", "channel": "Per kanal",
                    "kecamatan": "Per kecamatan", "gender": "Per gender", "disability": "Per disabilitas"}
ARCHIVE_LABELS = {"out_of_scope": "di luar kewenangan/lingkup", "duplicate": "ganda", "unintelligible": "tidak jelas",
                  "spam": "spam", "incomplete": "tidak lengkap", "withdrawn": "dicabut pelapor"}


def report_sheets(report: dict) -> list[Sheet]:
    """Return the sheets of a monitoring report: summary, Table 3.1, figures, trend, breakdowns, audit, plan."""
    impact, process, institutions = report["dampak"], report["proses"], report["kelembagaan"]
    period = report["period"]
    sheets = [
        Sheet("Ringkasan", ["Keterangan", "Isi"], [
            ["Judul", report["title"]], ["Dasar", report["basis"]], ["Dari", report["from"]],
            ["Kepada", "; ".join(report["to"])], ["Periode", period["label"]],
            ["Tanggal awal", period["start"]], ["Tanggal akhir", period["end"]],
            ["Keadaan per", report["as_of"]], ["Versi SOP", report["sop_version"]],
            ["Rencana aksi", report["plan"] or "–"],
            ["Definisi", "docs/indicators.md: pengaduan ditempatkan menurut tanggal diterima (WITA); selesai = "
                         "ditutup (dikonfirmasi, otomatis, admin); diteruskan dan diarsipkan tidak dihitung dalam "
                         "penyebut persentase selesai"]]),
        Sheet("Tabel 3.1", ["Indikator", "Satuan", "Capaian", "Target", "Capaian terhadap target (%)",
                            "Periode sebelumnya"],
              [[row["name"], row["unit"], row["value"], row["target"], row["progress_percent"], row["previous"]]
               for row in impact["table_3_1"]]),
        Sheet("Indikator", ["Lensa", "Indikator", "Nilai"], figure_rows(process["figures"], impact)),
        Sheet("Tren bulanan", ["Bulan", "Diterima", "Diselesaikan", "Selesai tepat waktu",
                               "Melewati batas penyelesaian", "Diselesaikan (%)"],
              [[m["month"], m["received"], m["resolved"], m["resolved_on_time"], m["resolution_breached"],
                m["resolved_percent"]] for m in process["trend"]]),
        Sheet("Per tahun", ["Tahun", "Diterima", "Diselesaikan", "Diselesaikan (%)"],
              [[y["year"], y["received"], y["resolved"], y["resolved_percent"]] for y in impact["years"]]),
    ]
    for name, rows in process["breakdowns"].items():
        sheets.append(Sheet(BREAKDOWN_TITLES[name], BREAKDOWN_HEADER, [breakdown_row(r) for r in rows]))
    sheets.append(Sheet("Audit pelanggaran SLA", ["Kode", "OPD", "Diterima", "Verifikasi terlambat",
                                                  "Tanggapan terlambat", "Penyelesaian melewati batas",
                                                  "Eskalasi tingkat 1", "Eskalasi tingkat 2", "Eskalasi tingkat 3"],
                        [[a["key"], a["label"], a["received"], a["verification"], a["response"], a["resolution"],
                          a["level1"], a["level2"], a["level3"]] for a in process["breach_audit"]]))
    coverage = institutions["coverage"]
    sheets.append(Sheet("Cakupan UPPP", ["Kode", "UPPP", "Pengelola", "Aktif dalam periode", "Terlatih"],
                        [[r["code"], r["name"], r["handlers"], r["active"], r["trained"]]
                         for r in coverage["uppp"]["rows"]]))
    sheets.append(Sheet("Indikator keberhasilan", ["Kelompok", "Nama kelompok", "Indikator (Tabel 3.3)", "Nilai (%)",
                                                   "Keterangan"],
                        [[i["group"], i["group_name"], i["text"], i["percent"], i["note"] or "dinilai manual"]
                         for i in institutions["success_indicators"]]))
    sheets.append(Sheet("Realisasi program", ["Kode", "Kegiatan", "Penanggung jawab", "Tahun", "Status", "Persen",
                                              "Catatan", "Diperbarui oleh", "Bukti"], realisation_rows(institutions)))
    commitments = impact["commitments"]
    sheets.append(Sheet("Janji perbaikan", ["Kode", "OPD", "Pengaduan ditandai", *FAILURE_LABELS.values(),
                                            "Terbukti", "Belum dijawab janji", "Janji", "Selesai", "Berjalan",
                                            "Terlambat"],
                        [[r["unit"], r["name"], r["tagged"], *r["failures"].values(), r["substantiated"],
                          ", ".join(FAILURE_LABELS[k] for k in r["unanswered"]), r["commitments"], r["done"],
                          r["open"], r["overdue"]] for r in commitments["rows"]]))
    assessment = institutions["self_assessment"]
    sheets.append(Sheet("Penilaian mandiri", ASPECT_HEADER, aspect_rows(assessment) if assessment else
                        [["Belum ada putaran penilaian mandiri yang ditutup", None, None, None, None, None, None]]))
    return sheets


BREAKDOWN_HEADER = ["Kode", "Nama", "Diterima", "Diselesaikan", "Diselesaikan (%)", "Diteruskan", "Diarsipkan",
                    "Terbuka", "Verifikasi tepat waktu (%)", "Tanggapan tepat waktu (%)",
                    "Penyelesaian tepat waktu (%)", "Median hari kerja", "P90 hari kerja", "Pengaduan dikembalikan",
                    "Dibuka kembali", "Kepuasan rata-rata (1–5)", "Ditandai", "Prosedur", "Sarana", "Biaya",
                    "Petugas", "Terbukti"]


def breakdown_row(row: dict) -> list:
    """Return one breakdown row in the order of :data:`BREAKDOWN_HEADER`."""
    findings, satisfaction = row["findings"], row["satisfaction"]
    return [row["key"], row["label"], row["received"], row["resolved"], row["resolved_percent"], row["transferred"],
            row["archived"], row["open"], row["verification"]["percent_on_time"], row["response"]["percent_on_time"],
            row["resolution"]["percent_on_time"], row["working_days_to_resolve"]["median"],
            row["working_days_to_resolve"]["p90"], row["bounces"]["complaints"], row["reopens"]["complaints"],
            satisfaction["mean"] if satisfaction else None, findings["tagged"], findings["procedure"],
            findings["facilities"], findings["cost"], findings["staff"], findings["substantiated"]]


def figure_rows(f: dict, impact: dict) -> list[list]:
    """Return the operational figures as (lens, indicator, value) rows."""
    days, satisfaction = f["working_days_to_resolve"], f["satisfaction"]
    rows = [
        ["Dampak", "Pengaduan diterima (setiap masalah sekali)", f["received"]],
        ["Dampak", "Pengaduan diterima termasuk ganda", f["received_with_duplicates"]],
        ["Dampak", "Pengaduan ganda", f["duplicates"]],
        ["Dampak", "Diselesaikan", f["resolved"]],
        ["Dampak", "Diteruskan ke instansi lain", f["transferred"]],
        ["Dampak", "Diarsipkan (tanpa ganda)", f["archived"]],
        *[["Dampak", f"Diarsipkan: {ARCHIVE_LABELS[r]}", f["archived_by_reason"][r]]
          for r in ARCHIVE_REASONS if r in f["archived_by_reason"]],
        ["Dampak", "Masih terbuka", f["open"]],
        ["Dampak", "Harus diselesaikan daerah (penyebut)", f["to_resolve"]],
        ["Dampak", "Persentase diselesaikan (%)", f["resolved_percent"]],
        ["Dampak", "Ditutup: dikonfirmasi pelapor", f["closures"]["confirmed"]],
        ["Dampak", "Ditutup: otomatis", f["closures"]["auto"]],
        ["Dampak", "Ditutup: oleh admin", f["closures"]["admin"]],
        ["Dampak", "Pertumbuhan pengaduan dari periode sebelumnya (%)", impact["received_growth_percent"]],
        ["Dampak", "Penilaian pelapor (jumlah)", satisfaction["rated"] if satisfaction else 0],
        ["Dampak", "Kepuasan rata-rata (1–5)", satisfaction["mean"] if satisfaction else None],
        ["Dampak", "Pelapor puas (4–5) (%)", satisfaction["percent_satisfied"] if satisfaction else None],
        ["Dampak", "Dibuka kembali (%)", f["reopens"]["percent"]],
        ["Proses", "Verifikasi ≤ 3 hari kerja: tepat waktu", f["verification"]["on_time"]],
        ["Proses", "Verifikasi: terlambat", f["verification"]["late"]],
        ["Proses", "Verifikasi tepat waktu (%)", f["verification"]["percent_on_time"]],
        ["Proses", "Tanggapan pertama ≤ 5 hari kerja: tepat waktu", f["response"]["on_time"]],
        ["Proses", "Tanggapan pertama: terlambat", f["response"]["late"]],
        ["Proses", "Tanggapan tepat waktu (%)", f["response"]["percent_on_time"]],
        ["Proses", "Diselesaikan dalam batas kelas", f["resolution"]["on_time"]],
        ["Proses", "Diselesaikan melewati batas", f["resolution"]["late"]],
        ["Proses", "Penyelesaian tepat waktu (%)", f["resolution"]["percent_on_time"]],
        ["Proses", "Melewati batas penyelesaian (termasuk yang masih terbuka)", f["resolution"]["breached"]],
        ["Proses", "Terbuka dan melewati batas saat ini", f["overdue_now"]],
        ["Proses", "Median hari kerja sampai selesai", days["median"]],
        ["Proses", "P90 hari kerja sampai selesai", days["p90"]],
        ["Proses", "Rata-rata hari kerja sampai selesai", days["mean"]],
        ["Proses", "Didisposisikan", f["dispositioned"]],
        ["Proses", "Pengaduan dikembalikan (bukan wewenang)", f["bounces"]["complaints"]],
        ["Proses", "Jumlah pengembalian", f["bounces"]["total"]],
        ["Proses", "Pengaduan dikembalikan (%)", f["bounces"]["percent"]],
        ["Proses", "Eskalasi tingkat 1", f["escalations"]["level1"]],
        ["Proses", "Eskalasi tingkat 2", f["escalations"]["level2"]],
        ["Proses", "Eskalasi tingkat 3", f["escalations"]["level3"]],
        ["Dampak", "Tindak lanjut ditandai penyebabnya", f["findings"]["tagged"]],
        *[["Dampak", f"Penyebab: {FAILURE_LABELS[k]}", f["findings"][k]] for k in FAILURE_LABELS],
        ["Dampak", "Pengaduan terbukti", f["findings"]["substantiated"]],
        ["Dampak", "Pengaduan tidak terbukti", f["findings"]["unsubstantiated"]],
    ]
    return rows


def realisation_rows(institutions: dict) -> list[list]:
    """Return the programme matrix of the report's year as rows (empty when the plan has no such year)."""
    matrix = institutions["matrix"]
    if matrix is None:
        return [["–", "Rencana aksi tidak memuat kegiatan untuk tahun ini", None, None, None, None, None, None, None]]
    rows = []
    for group in matrix["groups"]:
        for programme in group["programmes"]:
            for activity in programme["activities"]:
                for year, cell in activity["years"].items():
                    found = cell["realisation"]
                    rows.append([activity["code"], activity["name"], activity["responsible"], year,
                                 STATUS_LABELS[found["status"]] if found else "Belum dicatat",
                                 found["percent"] if found else None, found["notes"] if found else None,
                                 found["updated_by"] if found else None,
                                 ", ".join(e["name"] for e in found["evidence"]) if found else None])
    return rows


ASPECT_HEADER = ["Aspek", "Nilai tepat (pecahan)", "Nilai tepat (4 desimal)", "Seperti dicetak Perbup (dipotong 1 "
                 "desimal)", "Dibulatkan (2 desimal)", "Prioritas", "Alasan"]


def aspect_rows(results: dict) -> list[list]:
    """Return a round's aspects in priority order: exact means, as the regulation printed them, priority, reason."""
    return [[a["name"], a["exact"], a["mean"], a["as_published"], a["rounded"], a["priority"], a["reason"]]
            for a in results["order"]]


def berita_acara_sheets(record: dict) -> list[Sheet]:
    """Return the berita acara of a self-assessment round: the record, the statements and the aspects."""
    round_ = record["round"]
    facts = [["Judul", round_["title"]], ["Tahun", round_["year"]], ["Tempat", round_["place"] or "–"],
             ["Tanggal", round_["held_on"] or "–"], ["Status", "Ditutup" if round_["status"] == "closed" else "Dibuka"],
             ["Jumlah responden", record["respondents"]], ["Jumlah perangkat daerah", len(record["units"])],
             ["Dibuka oleh", record["opened_by"] or "–"], ["Ditutup oleh", record["closed_by"] or "–"],
             ["Ditutup pada", record["closed_at"] or "–"], ["Versi SOP", round_["sop_version"]],
             ["Urutan nilai sama ditetapkan oleh", ", ".join(sorted({a["decided_by"] for a in record["aspects"]
                                                                     if a["tie_ordered"] and a["decided_by"]}))
              or "–"]]
    statements = [[s["number"], s["aspect"], s["text"], *s["counts"].values(), s["mean"]] for s in record["statements"]]
    return [
        Sheet("Berita acara", ["Keterangan", "Isi"], facts),
        Sheet("Pernyataan", ["No.", "Aspek", "Pernyataan", "Nilai 1", "Nilai 2", "Nilai 3", "Nilai 4", "Rata-rata"],
              statements),
        Sheet("Aspek dan prioritas", ASPECT_HEADER, aspect_rows(record)),
        Sheet("Responden per OPD", ["Kode", "Perangkat daerah", "Responden"],
              [[u["code"], u["name"], u["respondents"]] for u in record["units"]]),
    ]
