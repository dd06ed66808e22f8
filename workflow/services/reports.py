"""The leader dashboard and the monitoring reports, generated from the indicators, never typed.

- :func:`dashboard`: Table 3.1's two targets with progress, the monthly trend, the OPDs most and least
  on time, breaches, bounces and satisfaction, for a year or semester.
- :func:`monitoring_report`: the semester monitoring and evaluation of the tim koordinasi to the Bupati
  (Perbup 4/2022 Pasal 8) or the yearly report of the Bupati to the Governor and the Minister (Pasal 9),
  through the three lenses of Pasal 5(1)(k): institutions (kelembagaan), process (proses) and impact
  (dampak). It holds the indicators against targets, breakdowns, the breach audit summary, the
  programme realisation, coverage and training (Table 3.3), the improvement commitments and the
  self-assessment result.

Both return JSON-ready dicts; ``web/reports`` renders them as printable HTML and XLSX.
"""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from workflow.db import db
from workflow.models import AssessmentRound
from workflow.services import commitments, programmes, self_assessment
from workflow.services.indicators import Period, indicators, percent
from workflow.services.sop import active_sop

# An OPD is ranked for being on time once it resolved this many complaints in the period.
RANK_FROM_RESOLVED = 1
RANKED = 5
LENSES = {
    "kelembagaan": ("Kelembagaan", "Institutions"),
    "proses": ("Proses", "Process"),
    "dampak": ("Dampak", "Impact"),
}
BREAKDOWNS_IN_REPORT = ("opd", "class", "category", "channel", "kecamatan", "gender", "disability")


def dashboard(period: Period, now: datetime) -> dict:
    """Return what the leader dashboard shows for ``period``."""
    found = indicators(period, now, breakdown="opd")
    opds = [row for row in found["breakdown"]["rows"] if row["key"]]
    most, least = on_time_ranking(opds)
    figures = found["figures"]
    return {
        "period": found["period"],
        "as_of": found["as_of"],
        "table_3_1": found["table_3_1"],
        "figures": figures,
        "trend": found["trend"],
        "years": found["years"],
        "most_on_time": most,
        "least_on_time": least,
        "breaches": {"verification": figures["verification"]["late"], "response": figures["response"]["late"],
                     "resolution": figures["resolution"]["breached"], "overdue_now": figures["overdue_now"],
                     "level2": figures["escalations"]["level2"], "level3": figures["escalations"]["level3"]},
        "breaches_by_opd": breach_audit(opds),
        "bounces": figures["bounces"],
        "satisfaction": figures["satisfaction"],
    }


def on_time_ranking(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split OPDs that resolved complaints into the most and the least on time (no OPD in both lists)."""
    ranked = sorted((r for r in rows if r["resolved"] >= RANK_FROM_RESOLVED),
                    key=lambda r: (-(r["resolution"]["percent_on_time"] or 0), -r["resolved"], r["label"]))
    shown = [{"key": r["key"], "label": r["label"], "resolved": r["resolved"], "on_time": r["resolution"]["on_time"],
              "percent_on_time": r["resolution"]["percent_on_time"]} for r in ranked]
    top = min(RANKED, math.ceil(len(shown) / 2))
    bottom = min(RANKED, len(shown) - top)
    return shown[:top], list(reversed(shown[len(shown) - bottom:])) if bottom else []


def breach_audit(rows: list[dict]) -> list[dict]:
    """Return, per OPD with a breach, its missed deadlines by clock and its escalations, worst first."""
    audit = [{"key": r["key"], "label": r["label"], "received": r["received"],
              "verification": r["verification"]["late"], "response": r["response"]["late"],
              "resolution": r["resolution"]["breached"], "level1": r["escalations"]["level1"],
              "level2": r["escalations"]["level2"], "level3": r["escalations"]["level3"]} for r in rows]
    audit = [a for a in audit if a["verification"] or a["response"] or a["resolution"] or a["level1"]]
    return sorted(audit, key=lambda a: (-(a["response"] + a["resolution"]), -a["level2"], a["label"]))


def monitoring_report(period: Period, now: datetime) -> dict:
    """Return the semester (Pasal 8) or yearly (Pasal 9) report of ``period``, through its three lenses."""
    version, sop = active_sop()
    tz = ZoneInfo(sop.sop.timezone)
    found = indicators(period, now)
    breakdowns = {name: indicators(period, now, breakdown=name)["breakdown"]["rows"] for name in BREAKDOWNS_IN_REPORT}
    opds = [row for row in breakdowns["opd"] if row["key"]]
    most, least = on_time_ranking(opds)
    coverage = programmes.coverage(period)
    plan_year = period.year_number
    realisation = programmes.realisation_summary(plan_year)
    matrix = programmes.matrix([plan_year]) if plan_year in sop.programmes.years else None
    commitment_summary = commitments.summary(period, now)
    assessment = latest_assessment(plan_year)
    previous = found["table_3_1"][0]["previous"]
    growth = percent(found["figures"]["received"] - previous, previous) if previous else None
    annual = period.kind == "year"
    return {
        "kind": "annual" if annual else "semester",
        "title": ("Laporan Pelaksanaan Rencana Aksi Pengelolaan Pengaduan Pelayanan Publik" if annual
                  else "Laporan Pemantauan dan Evaluasi Rencana Aksi Pengelolaan Pengaduan Pelayanan Publik"),
        "title_en": ("Report on the implementation of the complaint-handling action plan" if annual
                     else "Monitoring and evaluation report of the complaint-handling action plan"),
        "basis": ("Peraturan Bupati Klungkung Nomor 4 Tahun 2022, Pasal 9" if annual
                  else "Peraturan Bupati Klungkung Nomor 4 Tahun 2022, Pasal 8"),
        "from": "Bupati Klungkung" if annual else "Tim Koordinasi Penyelenggaraan SP4N",
        "to": (["Gubernur Bali selaku wakil pemerintah pusat",
                "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi"] if annual else ["Bupati Klungkung"]),
        "period": found["period"],
        "as_of": found["as_of"],
        "generated_at": now.astimezone(tz).isoformat(),
        "sop_version": version.version,
        "plan": sop.programmes.plan,
        "lenses": {code: {"name": name, "name_en": name_en} for code, (name, name_en) in LENSES.items()},
        "dampak": {
            "table_3_1": found["table_3_1"],
            "years": found["years"],
            "received_growth_percent": growth,
            "satisfaction": found["figures"]["satisfaction"],
            "reopens": found["figures"]["reopens"],
            "findings": found["figures"]["findings"],
            "commitments": commitment_summary,
        },
        "proses": {
            "figures": found["figures"],
            "trend": found["trend"],
            "breakdowns": breakdowns,
            "most_on_time": most,
            "least_on_time": least,
            "breach_audit": breach_audit(opds),
        },
        "kelembagaan": {
            "coverage": coverage,
            "realisation": realisation,
            "matrix": matrix,
            "self_assessment": assessment,
            "success_indicators": success_indicators(sop, coverage, commitment_summary, found, growth),
        },
    }


def success_indicators(sop, coverage: dict, commitment_summary: dict, found: dict, growth: float | None) -> list:
    """Return Table 3.3's success indicators, each with the figure the engine measures for it, if any."""
    previous = found["table_3_1"][0]["previous"]
    measures = {
        "active_handlers": (coverage["uppp"]["percent_active"],
                            f"{coverage['uppp']['active']} dari {coverage['uppp']['total']} UPPP memiliki pengelola "
                            f"yang aktif pada periode ini"),
        "trained_handlers": (coverage["handlers"]["percent_trained"],
                             f"{coverage['handlers']['trained']} dari {coverage['handlers']['total']} pengelola "
                             f"pengaduan telah mengikuti bimtek"),
        "data_into_policy": (commitment_summary["percent_done"],
                             f"{found['figures']['findings']['tagged']} pengaduan ditandai penyebabnya; "
                             f"{commitment_summary['commitments']} janji perbaikan, {commitment_summary['done']} "
                             f"selesai"),
        "received_growth": (growth, f"{found['figures']['received']} pengaduan diterima; periode sebelumnya "
                                    f"{previous if previous is not None else '–'}"),
    }
    rows = []
    for indicator in sop.programmes.success_indicators:
        value, note = measures.get(indicator.measure, (None, None))
        rows.append({"group": indicator.group, "group_name": indicator.group_name, "text": indicator.text,
                     "measure": indicator.measure, "percent": value, "note": note})
    return rows


def latest_assessment(year: int) -> dict | None:
    """Return the results of the last closed self-assessment round of ``year`` or before, if any."""
    found = db.session.scalar(select(AssessmentRound.id).where(AssessmentRound.status == "closed",
                                                               AssessmentRound.year <= year)
                              .order_by(AssessmentRound.year.desc(), AssessmentRound.id.desc()).limit(1))
    return self_assessment.results(found) if found else None
