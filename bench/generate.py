"""Build a benchmark database of N realistic complaints over two years, fast.

    .venv/bin/python bench/generate.py --complaints 1000000 --database postgresql://postgres@127.0.0.1:5432/aduflow_bench
    .venv/bin/python bench/generate.py --complaints 100000 --database sqlite:////tmp/aduflow-bench.db

The database is created afresh (PostgreSQL: dropped and created again; SQLite: the file is replaced),
migrated from the base with the app's migrations and loaded with the Klungkung SOP. Then N complaints
received over the two years before ``NOW`` are simulated through the lifecycle — verification,
requests for information, archiving, transfers, dispositions, returns, acknowledgement, follow-ups,
the reporter's answer or the automatic close — with the SOP's working-day clocks (the app's own clock
arithmetic, national and Bali days off, each unit's working week), the SLA sweep's warnings, breaches and
escalations at the moment they fall due, ratings and findings. What happened before ``NOW`` is stored;
what would come later is not, so recent complaints are open in every state and older ones are mostly
closed. Every complaint has its audit events (about 7 on average, 3–10 for 95 %, more for the few left
stalled, as every SLA threshold they cross is an event), sealed into its hash chain with the app's
``event_hash`` exactly as the ``before_flush`` listener does; its clocks (running ones with the
``next_check_at`` the sweep expects and the thresholds already fired recorded in ``sla_marks``), a
tracking code and the keyed hash of its PIN (``pin_of(id)``, see below).

Text is Indonesian, from templates per category; places are the SOP's desa and kecamatan; units and
classes are each category's default (Puskesmas by kecamatan for health complaints), with returns and
redispositions; channels, anonymity, confidentiality and GESI data follow a fixed mix.

Rows are made by worker processes and written with COPY (PostgreSQL, psycopg 3) or ``executemany`` in
large transactions (SQLite). Each complaint's indicator fact is counted in the workers by the app's own
``indicators.compute_fact`` (what ``indicators.rebuild()`` runs per complaint), and the roll-ups are then
summed from the facts as ``rebuild()`` does; ``--rebuild`` calls ``indicators.rebuild()`` instead (what
``flask report rebuild`` runs: one process, about 2 minutes more at a million). ``--check`` verifies every
audit chain (``audit.verify``) and recounts every fact and roll-up (``indicators.check(deep=True)``).
Staff accounts for every role (password ``PASSWORD``, an API token each) are written to the summary
``bench/out/generate.json`` for ``bench/pages.py``, with counts per state, the time and CPU time of each
phase, and a check of 1,000 random complaints' audit chains.
"""

import argparse
import json
import multiprocessing
import os
import platform
import random
import resource
import sys
import time
from bisect import bisect
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import JSON, TypeDecorator, func, insert, literal, select, text
from sqlalchemy.engine import make_url

from config import database_url
from web import create_app
from workflow.db import db
from workflow.domain import clocks as clock_rules
from workflow.domain import sla as sla_rules
from workflow.domain.audit import GENESIS, event_hash
from workflow.domain.machine import CLOCK_EFFECTS
from workflow.domain.states import STOPPED_CLOCK_STATUSES, Action, ClockKind, ClockStatus, State
from workflow.models import (
    Clock,
    Complaint,
    ComplaintEvent,
    ComplaintFinding,
    IndicatorDuration,
    IndicatorFact,
    IndicatorRollup,
    Rating,
    SlaMark,
    Unit,
)
from workflow.services import audit, indicators, people
from workflow.services.calendars import calendar_for
from workflow.services.intake import CODE_ALPHABET, pin_hash
from workflow.services.sla import OMBUDSMAN_NOTICE
from workflow.services.sop import load_sop_version, sop_of

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed 25 Nov 2026, 10:00 WITA
SPAN_DAYS = 730  # two years of complaints before NOW
# The app must run with this key for the stored PIN hashes to match (bench/pages.py sets it).
SECRET_KEY = "aduflow-bench-secret-2026"
PASSWORD = "bench-password-2026"
CHUNK = 10_000
OUT = Path(__file__).resolve().parent / "out"
# The accounts bench/pages.py signs in with: (username, role, unit).
MEASURED = (("bench-admin", "admin_instansi", "ORG"), ("bench-unit", "unit_admin", "PUPRKP"),
            ("bench-penghubung", "penghubung", "PUPRKP"), ("bench-inspector", "inspector", "INSP"),
            ("bench-coordinator", "coordinator", "KLK"), ("bench-leader", "leader", "KLK"))
OTHERS = (("bench-admin-2", "admin_instansi", "ORG"), ("bench-sysadmin", "sysadmin", None),
          ("bench-facilitator", "facilitator", None))
AFTER = timedelta(seconds=1)
# Plain strings on the hot path (an enum's .value is a descriptor call, a million times over).
RUNNING, RESOLUTION = ClockStatus.running.value, ClockKind.resolution.value
EFFECTS = {action.value: [(effect, kind.value if kind else None) for effect, kind in effects]
           for action, effects in CLOCK_EFFECTS.items()}
KIND_INDEX = {kind.value: index for index, kind in enumerate(ClockKind)}


def pin_of(complaint_id: int) -> str:
    """Return the reporter's PIN of a generated complaint (derived from its id, so any page can be opened)."""
    return f"{(complaint_id * 7_919 + 104_729) % 1_000_000:06d}"


def tracking_code(prefix: str, complaint_id: int, received_at: datetime) -> str:
    """Return a unique tracking code in the app's form (``KLK-26-7QF3KX``): the id scrambled over the alphabet."""
    # A multiplier prime to 30 makes the scramble one-to-one over the 30**6 codes of a year.
    n, suffix = (complaint_id * 387_420_491 + 12_345) % 30 ** 6, []
    for _ in range(6):
        n, digit = divmod(n, 30)
        suffix.append(CODE_ALPHABET[digit])
    return f"{prefix}-{received_at.year % 100:02d}-{''.join(suffix)}"


# --- Indonesian text --------------------------------------------------------------------------------------

STREETS = ("Jl. Gajah Mada", "Jl. Diponegoro", "Jl. Flamboyan", "Jl. Puputan", "Jl. Untung Surapati",
           "Jl. Ngurah Rai", "Jl. Nakula", "Jl. Gunung Rinjani", "Jl. Raya Goa Lawah", "Jl. Raya Banjarangkan",
           "Jl. Raya Toya Pakeh", "Jl. Pulau Komodo", "Jl. Surapati", "Jl. Kenyeri", "Jl. Mawar")
FIRST_NAMES = ("I Made", "I Wayan", "I Nyoman", "I Ketut", "I Komang", "I Gede", "I Putu", "Ni Made", "Ni Luh",
               "Ni Wayan", "Ni Nyoman", "Ni Ketut", "Ni Komang", "Ni Putu", "Gusti Ayu", "Anak Agung", "Dewa Ayu")
LAST_NAMES = ("Sudarsana", "Artawan", "Suarjana", "Wirawan", "Ariani", "Astuti", "Sukerta", "Mertayasa",
              "Suparta", "Wulandari", "Antara", "Budiasa", "Suastika", "Yuliani", "Darmawan", "Purnami")
WHEN = ("sejak seminggu terakhir", "sudah lebih dari dua minggu", "sejak awal bulan ini", "sejak kemarin sore",
        "hampir sebulan", "setiap malam", "sejak hujan deras minggu lalu", "berulang kali tahun ini")
PLEA = ("Mohon segera ditindaklanjuti.", "Mohon bantuan Bapak/Ibu petugas.", "Kami berharap segera ada perbaikan.",
        "Terima kasih atas perhatiannya.", "Warga sangat berharap ada tindakan nyata.")
TEMPLATES = {
    "jalan-rusak": (("Jalan berlubang di {street}", "Aspal rusak parah di Desa {desa}", "Jembatan retak di {desa}"),
                    "Jalan di {street}, Desa {desa}, berlubang besar dan membahayakan pengendara {when}. Sudah ada "
                    "warga yang jatuh dari sepeda motor."),
    "air-pdam": (("Air PDAM tidak mengalir di {desa}", "Air PDAM keruh", "Pipa PDAM bocor di {street}"),
                 "Air PDAM di rumah kami di Desa {desa} tidak mengalir {when}. Tagihan tetap datang seperti biasa."),
    "lampu-jalan": (("Lampu PJU mati di {street}", "Penerangan jalan padam di Desa {desa}"),
                    "Lampu penerangan jalan umum di {street} mati {when}. Jalan menjadi gelap dan rawan "
                    "kecelakaan serta pencurian."),
    "drainase-banjir": (("Saluran tersumbat di {desa}", "Genangan air di {street} saat hujan"),
                        "Got di {street}, Desa {desa}, tersumbat sampah dan lumpur {when}. Setiap hujan air meluap "
                        "ke rumah warga."),
    "sampah": (("Sampah menumpuk di {desa}", "Truk sampah tidak datang", "TPS liar di {street}"),
               "Sampah di dekat pasar Desa {desa} menumpuk dan tidak diangkut {when}. Baunya sangat mengganggu."),
    "pohon-tumbang": (("Pohon rawan tumbang di {street}", "Pohon tumbang menutup jalan di {desa}"),
                      "Ada pohon besar yang miring di {street} dan rawan tumbang {when}, tepat di atas kabel listrik."),
    "layanan-kesehatan": (("Antrean Puskesmas terlalu lama", "Petugas Puskesmas tidak ramah",
                           "Obat habis di Puskesmas"),
                          "Saya berobat ke Puskesmas di Kecamatan {kecamatan} dan menunggu lebih dari tiga jam. "
                          "Hal ini terjadi {when}."),
    "layanan-rsud": (("Pelayanan IGD RSUD lambat", "Antrean rawat jalan RSUD"),
                     "Keluarga kami menunggu di IGD RSUD Klungkung lebih dari dua jam tanpa penjelasan. "
                     "Kejadian ini {when}."),
    "adminduk": (("KTP elektronik belum jadi", "Akta kelahiran lama diproses", "KK belum dicetak"),
                 "Saya mengurus e-KTP di Disdukcapil {when} tetapi sampai sekarang belum selesai. Warga Desa "
                 "{desa}."),
    "bansos": (("Bantuan sosial tidak tepat sasaran", "BLT belum diterima"),
               "Beberapa warga miskin di Desa {desa} belum menerima bantuan sosial {when}, sementara warga mampu "
               "justru terdaftar."),
    "perilaku-asn-pungli": (("Dugaan pungutan liar", "Petugas meminta uang pelicin"),
                            "Saat mengurus surat di kantor pelayanan, petugas meminta uang tambahan tanpa kuitansi. "
                            "Kejadian ini {when}."),
    "transportasi-parkir": (("Parkir liar di {street}", "Tarif parkir tidak sesuai"),
                            "Juru parkir di {street} menarik tarif melebihi ketentuan {when}."),
}
GENERIC_TITLES = ("Keluhan: {name}", "Mohon perhatian: {name}", "{name} di Desa {desa}")
GENERIC_TEXT = "Kami menyampaikan keluhan tentang {lower} di Desa {desa}, Kecamatan {kecamatan}, {when}."
RESPONSES = (
    "Terima kasih atas laporan Bapak/Ibu. Tim kami sudah turun ke lokasi dan melakukan perbaikan.",
    "Laporan sudah ditindaklanjuti; petugas lapangan telah menyelesaikan masalah di lokasi.",
    "Terima kasih. Masalah sudah kami koordinasikan dengan petugas dan telah diselesaikan.",
    "Sudah kami tangani. Apabila masalah muncul kembali, mohon sampaikan melalui kanal pengaduan ini.")
INFO_REQUESTS = ("Mohon lengkapi lokasi persis (nama jalan atau patokan) dan foto kejadian.",
                 "Mohon sebutkan waktu kejadian dan nama unit layanan yang dimaksud.")
INFO_SUPPLIED = ("Lokasinya di depan balai banjar, dekat pura desa.", "Kejadiannya hari Senin pagi di loket 2.")
ARCHIVE_NOTES = {"out_of_scope": "Bukan lingkup pelayanan publik Pemerintah Kabupaten Klungkung.",
                 "unintelligible": "Isi pengaduan tidak dapat dipahami.", "spam": "Pesan berulang tanpa isi.",
                 "withdrawn": "Pelapor mencabut pengaduannya.", "duplicate": None}
RETURN_NOTE = "Bukan wewenang unit kami; mohon didisposisikan ke unit yang berwenang."
DISPUTE_NOTE = "Masalah belum selesai; kondisi di lapangan masih sama."
CLOSE_NOTE = "Ditutup administrator: tindak lanjut sudah sesuai dan pelapor tidak dapat dihubungi."
DRAFT_NOTE = "Draf tanggapan: perbaikan dijadwalkan minggu ini oleh tim lapangan."
WEIGHTS = {"jalan-rusak": 14, "air-pdam": 11, "lampu-jalan": 9, "drainase-banjir": 7, "sampah": 10,
           "pohon-tumbang": 4, "layanan-kesehatan": 6, "layanan-rsud": 4, "adminduk": 7, "bansos": 5,
           "transportasi-parkir": 3, "perilaku-asn-pungli": 1}
CHANNELS = ((("web", 30), ("mobile", 14), ("whatsapp", 15), ("lapor", 9), ("mesadu", 9), ("phone", 4),
             ("walk_in", 4), ("letter", 2), ("sms", 3), ("email", 3), ("complaint_box", 1), ("social_media", 4),
             ("open311", 2)))
# Channels an officer types in for the citizen, and channels an integration files through.
STAFF_CHANNELS = frozenset({"phone", "walk_in", "letter", "sms", "email", "complaint_box", "social_media"})
INTEGRATIONS = {"lapor": "lapor", "mesadu": "mesadu", "open311": "open311:bench-portal"}


# --- the world the workers simulate in --------------------------------------------------------------------

class FastCalendar:
    """A working calendar with its day arithmetic precomputed as working-day ordinals (the same answers as
    ``WorkingCalendar``, a dictionary look-up instead of a walk over the days, a million times over)."""

    FIRST, LAST = date(2023, 1, 1), date(2028, 12, 31)

    def __init__(self, calendar):
        self.calendar, self.tz = calendar, calendar.tz
        self.ordinal: dict[date, int] = {}  # working days from FIRST up to and including the day
        self.working: list[date] = []
        day = self.FIRST
        while day <= self.LAST:
            if calendar.is_working_day(day):
                self.working.append(day)
            self.ordinal[day] = len(self.working)
            day += timedelta(days=1)
        self._end: dict = {}

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day."""
        return self.calendar.is_working_day(day)

    def local_date(self, moment: datetime) -> date:
        """Return the local calendar day of ``moment``."""
        return moment.astimezone(self.tz).date()

    def add_working_days(self, start: date, count: int) -> date:
        """Return the ``count``-th working day after ``start``."""
        return self.working[self.ordinal[start] + count - 1] if count else start

    def working_day_before(self, day: date, count: int) -> date:
        """Return the ``count``-th working day before ``day``."""
        if not count:
            return day
        before = self.ordinal[day] - (1 if self.calendar.is_working_day(day) else 0)
        return self.working[before - count]

    def end_of_day(self, day: date) -> datetime:
        """Return 23:59:59 local time of ``day`` in UTC."""
        found = self._end.get(day)
        if found is None:
            found = self._end[day] = self.calendar.end_of_day(day)
        return found

    def deadline(self, moment: datetime, working_days: int) -> datetime:
        """Return the end of the ``working_days``-th working day after ``moment``'s day."""
        return self.end_of_day(self.add_working_days(self.local_date(moment), working_days))

    def working_days_left(self, moment: datetime, due: datetime) -> int:
        """Count the working days after ``moment``'s day up to ``due``'s."""
        return max(0, self.ordinal[self.local_date(due)] - self.ordinal[self.local_date(moment)])

    working_days_between = working_days_left


def world_of(sop, users: dict, version_id: int, seed: int) -> dict:
    """Collect what the workers need as plain data: SOP lists, unit ids and calendars, user ids, limits."""
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    calendars, unit_calendar = {}, {}
    for code, unit in units.items():
        key = (unit.working_days, unit.observes_regional_days)
        if key not in calendars:
            calendars[key] = calendar_for(sop, unit, NOW)
        unit_calendar[code] = key
    categories = [(c.code, c.name, c.default_unit, c.default_class) for c in sop.categories]
    kecamatan = {k.name: (k.unit, k.puskesmas) for k in sop.routing.kecamatan}
    limits = {(k.code, c.code, place): sop.resolution_limit(k.code, c.code, place)
              for k in sop.classes for c in sop.categories for place in (*kecamatan, None)}
    handlers = {code: (users[f"{code.lower()}-admin"], users[f"{code.lower()}-penghubung"])
                for code in disposition_units(sop)}
    return {
        "seed": seed, "version_id": version_id, "version": sop.version, "prefix": sop.sop.tracking_prefix,
        "categories": categories, "weights": [WEIGHTS.get(c[0], 2) for c in categories],
        "classes": [k.code for k in sop.classes], "desa": [(d.name, d.kecamatan) for d in sop.routing.desa],
        "kecamatan": kecamatan, "limits": limits, "targets": [j.target for j in sop.routing.jurisdictions],
        "unit_ids": {code: u.id for code, u in units.items()}, "unit_calendar": unit_calendar,
        "calendars": calendars, "regency_calendar": calendar_for(sop, None, NOW),
        "clocks": sop.clocks.model_dump(), "policy": (sop.escalation.warning_fraction, sop.escalation.level2_multiple,
                                                       sop.clocks.info_reminder_fraction),
        "level2_open": sop.escalation.level2_open_working_days, "handlers": handlers,
        "admins": [users["bench-admin"], users["bench-admin-2"]], "facilitator": users["bench-facilitator"],
        "coordinator": users["bench-coordinator"], "redispose_to": sorted({c[2] for c in categories} - {"INSP"}),
        # What the indicator facts need: the unit tree, the regency's places and its calendar of each year.
        "unit_tree": {code: (u.kind, u.parent.code if u.parent else None) for code, u in units.items()},
        "timezone": sop.sop.timezone, "places": indicators._Places(sop),
        "year_calendars": {year: calendar_for(sop, None, datetime(year, 7, 1, tzinfo=UTC))
                           for year in range(NOW.year - 3, NOW.year + 1)},
    }


def disposition_units(sop) -> list[str]:
    """Return the units complaints are disposed to: each category's default unit and every Puskesmas."""
    codes = {c.default_unit for c in sop.categories}
    for kecamatan in sop.routing.kecamatan:
        codes.update(kecamatan.puskesmas)
    return sorted(codes)


_WORLD: dict = {}
THRESHOLDS: dict = {}


def _start_worker(world: dict) -> None:
    # pin_hash reads the key from the current app: a bare app carries it (the worker touches no database).
    _WORLD.clear()
    _WORLD.update(world)
    _WORLD["fast"] = {key: FastCalendar(cal) for key, cal in world["calendars"].items()}
    _WORLD["fast_regency"] = FastCalendar(world["regency_calendar"])
    _WORLD["sla_policy"] = sla_rules.Policy(*world["policy"])
    _WORLD["tz"] = ZoneInfo(world["timezone"])
    by_year = world["year_calendars"]
    _WORLD["calendar_of"] = lambda moment: by_year[moment.astimezone(_WORLD["tz"]).year]
    keyed = Flask("aduflow-bench-pins")
    keyed.config["SECRET_KEY"] = SECRET_KEY
    keyed.app_context().push()


# --- one complaint's life ---------------------------------------------------------------------------------

class Life:
    """Simulate one complaint from receipt to ``NOW``: its row, clocks, audit events, marks, rating and finding."""

    def __init__(self, world: dict, rng: random.Random, complaint_id: int, received: datetime):
        self.w, self.rng, self.id, self.received = world, rng, complaint_id, received
        self.events: list[tuple] = []
        self.clocks: dict[str, clock_rules.Clock] = {}
        self.fired: dict[tuple, set] = {}
        self.marks: list[tuple] = []
        self.rating = self.finding = None
        self.state, self.level, self.unit = State.received.value, 0, None
        self.updated, self.version = received, 1
        self.stalled = rng.random() < 0.015
        # The reporter's own choices; the administrator confirms them at verification.
        self.anonymous, self.confidential = rng.random() < 0.1, rng.random() < 0.05
        self.resume_to = self.closure = self.archive_reason = self.transfer_target = self.duplicate_of = None
        self.verified_at = self.closed_at = self.entered_by = None
        self.bounces = 0

    def calendar(self) -> FastCalendar:
        """Return the working calendar of the unit holding the complaint (the regency's before disposition)."""
        if self.unit is None:
            return self.w["fast_regency"]
        return self.w["fast"][self.w["unit_calendar"][self.unit]]

    def emit(self, at, actor, action, from_state=None, to_state=None, comment=None, internal=False, details=None):
        """Record one audit event (sealed into the chain when the rows are written)."""
        self.events.append((at, actor[0], actor[1], action, from_state, to_state, comment, internal, details or {}))

    def touch(self, at: datetime) -> None:
        """Note a change to the complaint row: its time and a new version."""
        self.updated, self.version = at, self.version + 1

    def later(self, moment: datetime, working_days: int) -> datetime:
        """Return a moment during office hours ``working_days`` working days after ``moment`` (0: hours later)."""
        if self.stalled:
            working_days = working_days * 4 + 2
        if working_days == 0:
            return moment + timedelta(minutes=self.rng.randint(20, 300))
        calendar = self.calendar()
        day = calendar.add_working_days(calendar.local_date(moment), working_days)
        return calendar.end_of_day(day) - timedelta(hours=16) + timedelta(seconds=self.rng.randint(0, 27_000))

    def sweep_until(self, moment: datetime) -> None:
        """Fire, in time order, every SLA threshold of the running clocks that falls due up to ``moment``."""
        while True:
            due = []
            for kind, clock in self.clocks.items():
                if clock.status != RUNNING:
                    continue
                fired = self.fired.setdefault((kind, clock.started_at), set())
                for threshold in self.thresholds(clock):
                    if threshold.name not in fired and threshold.name != sla_rules.EXPIRE and threshold.at <= moment:
                        due.append((threshold.at, kind, threshold.name))
                        break
            if not due:
                return
            at, kind, name = min(due)
            self.fire(at, kind, name)

    def thresholds(self, clock) -> list:
        """Return the SLA thresholds of ``clock`` as the sweep computes them."""
        # The same deadlines recur for thousands of complaints: thresholds are computed once per worker.
        calendar = self.calendar()
        resolution = clock.kind == RESOLUTION
        key = (id(calendar), clock.kind, clock.status, clock.due_at, clock.limit_working_days,
               calendar.local_date(self.received) if resolution else None)
        found = THRESHOLDS.get(key)
        if found is None:
            open_deadline = calendar.deadline(self.received, self.w["level2_open"]) if resolution else None
            found = THRESHOLDS[key] = sla_rules.thresholds(clock, calendar, self.w["sla_policy"], open_deadline)
        return found

    def fire(self, at: datetime, kind: str, name: str) -> None:
        """Record one threshold as the sweep does: its mark, its events, a breach and an escalation."""
        clock = self.clocks[kind]
        self.fired[(kind, clock.started_at)].add(name)
        self.marks.append((self.id * 5 + KIND_INDEX[kind], name, clock.started_at, at))
        details = {"clock": kind, "due_at": clock.due_at.isoformat(), "limit_working_days": clock.limit_working_days}
        system = (None, "system")
        if name == sla_rules.WARNING:
            self.emit(at, system, "sla_warning", internal=True, details=details)
        elif name == sla_rules.REMINDER:
            self.emit(at, system, "info_reminder", comment="Mohon lengkapi informasi yang diminta sebelum batas "
                      "waktu, atau pengaduan akan diarsipkan.", details=details)
        elif name == sla_rules.BREACH:
            clock.breached_at = clock.due_at
            self.emit(at, system, "sla_breach", internal=True, details=details)
            self.escalate(at, 1, f"Batas waktu {kind} terlewati. / The {kind} deadline was missed.")
        else:
            self.emit(at, system, "sla_level2", internal=True, details=details)
            if self.escalate(at, 2, f"Dua kali batas waktu {kind} atau terlalu lama terbuka. / Twice the {kind} "
                                    f"limit, or open too long."):
                self.emit(at, system, "ombudsman_notice", comment=OMBUDSMAN_NOTICE)

    def escalate(self, at: datetime, level: int, reason: str) -> bool:
        """Raise the escalation level to ``level`` (with its audit event); return whether it rose."""
        if self.level >= level:
            return False
        self.level = level
        self.emit(at, (None, "system"), Action.escalate.value, self.state, self.state, reason, True, {"level": level})
        self.touch(at)
        return True

    def act(self, at: datetime, action: Action, actor: tuple, to_state: str | None, comment: str | None = None,
            details: dict | None = None, internal: bool = False) -> None:
        """Take ``action`` at ``at``: state, clock effects (the transition table's own list), audit event."""
        from_state = self.state
        self.state = to_state or self.state
        name = action.value
        self.emit(at, actor, name, from_state, self.state, comment, internal, details)
        calendar = self.calendar()
        for effect, kind in EFFECTS[name]:
            targets = ([c for c in self.clocks.values() if c.status not in STOPPED] if effect == "stop_all"
                       else [self.clocks.setdefault(kind, clock_rules.Clock(kind=kind))]
                       if effect == "start" else [self.clocks[kind]] if kind in self.clocks else [])
            for clock in targets:
                clock_rules.apply_effect(effect, clock, at, self.limit(clock.kind), calendar)
        self.touch(at)

    def limit(self, kind: str) -> int:
        """Return the working-day limit of a clock of ``kind`` for this complaint."""
        limits = self.w["clocks"]
        if kind == RESOLUTION:
            return self.w["limits"][(self.klass, self.category, self.kecamatan)]
        return limits[f"{kind}_working_days"]

    def happen(self, at: datetime) -> bool:
        """Return whether a step at ``at`` happened before ``NOW``; the sweep runs up to it first."""
        if at > NOW:
            self.sweep_until(NOW)
            return False
        self.sweep_until(at)
        return True

    def live(self) -> None:
        """Play the complaint's story from receipt until ``NOW`` (or until it ends)."""
        w, rng = self.w, self.rng
        self.category, _, self.default_unit, self.default_class = w["categories"][
            bisect(w["cumulative"], rng.random() * w["cumulative"][-1])]
        self.desa, self.kecamatan = rng.choice(w["desa"]) if rng.random() < 0.85 else (None, None)
        if self.kecamatan is None and rng.random() < 0.3:
            self.kecamatan = rng.choice(list(w["kecamatan"]))
        self.channel = w["channel_of"][bisect(w["channel_cumulative"], rng.random() * w["channel_cumulative"][-1])]
        self.klass = self.default_class if rng.random() < 0.9 else rng.choice(w["classes"])
        self.file()
        at = self.later(self.received, rng.choice((0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3)))
        if not self.happen(at):
            return
        admin = (rng.choice(w["admins"]), "admin_instansi")
        roll = rng.random()
        if roll < 0.03:
            self.request_info(at, admin)
            if self.state != State.received.value:
                return
            at = self.later(self.updated, rng.choice((0, 1, 2)))
            if not self.happen(at):
                return
            roll = rng.random() * 0.93 + 0.07  # once supplied, never asked again
        if roll < 0.06:
            reason = rng.choice(("out_of_scope", "unintelligible", "spam", "withdrawn", "duplicate", "out_of_scope"))
            if reason == "duplicate" and self.id > 1:
                self.duplicate_of = max(1, self.id - rng.randint(1, 400))
                original = tracking_code(w["prefix"], self.duplicate_of, self.received)
                self.act(at, Action.mark_duplicate, admin, State.archived.value,
                         f"Pengaduan ini sama dengan pengaduan {original} dan ditangani bersamanya.",
                         {"duplicate_of": original})
                self.archive_reason = "duplicate"
            else:
                self.archive_reason = "out_of_scope" if reason == "duplicate" else reason
                self.act(at, Action.archive, admin, State.archived.value, ARCHIVE_NOTES[self.archive_reason],
                         {"reason": self.archive_reason})
            return
        if roll < 0.09:
            self.transfer_target = rng.choice(w["targets"])
            self.act(at, Action.transfer_out, admin, State.transferred.value,
                     "Diteruskan ke instansi yang berwenang.", {"target": self.transfer_target, "external_ref": None})
            return
        self.verify(at, admin)
        self.handle(at)

    def file(self) -> None:
        """File the complaint: the filing event and its running verification clock."""
        w, rng, at = self.w, self.rng, self.received
        if self.channel in STAFF_CHANNELS:
            actor = (rng.choice(w["admins"]), "admin_instansi")
        elif self.channel in INTEGRATIONS:
            actor = (None, "system")
        elif rng.random() < 0.03:
            actor = (w["facilitator"], "facilitator")
        else:
            actor = (None, "reporter")
        self.entered_by = actor[0]
        details = {"channel": self.channel, "received_at": at.isoformat(), "sop_version": w["version"]}
        if self.channel in INTEGRATIONS:
            details["integration"] = INTEGRATIONS[self.channel]
        self.emit(at, actor, "file", None, State.received.value, details=details)
        clock = self.clocks.setdefault(ClockKind.verification.value, clock_rules.Clock(kind="verification"))
        clock_rules.start(clock, at, w["clocks"]["verification_working_days"], self.calendar())
        self.emit(at, (None, "system"), "clock_start", internal=True, details={
            "clock": clock.kind, "limit_working_days": clock.limit_working_days, "due_at": clock.due_at.isoformat()})

    def request_info(self, at: datetime, actor: tuple) -> None:
        """Ask the reporter for information; they supply it in time, or the window archives the complaint."""
        rng = self.rng
        resume_to = self.state
        self.act(at, Action.request_info, actor, State.pending_info.value, rng.choice(INFO_REQUESTS),
                 {"resume_to": resume_to})
        self.resume_to = resume_to
        window = self.clocks[ClockKind.info.value]
        if rng.random() < 0.35:
            at = window.due_at + AFTER
            if self.happen(at):
                self.resume_to = None
                self.archive_reason = "incomplete"
                self.act(at, Action.expire_info, (None, "system"), State.archived.value, None, {"reason": "incomplete"})
            return
        at = self.later(at, rng.randint(1, 8))
        if at >= window.due_at or not self.happen(at):
            if at >= window.due_at and self.happen(window.due_at + AFTER):
                self.resume_to = None
                self.archive_reason = "incomplete"
                self.act(window.due_at + AFTER, Action.expire_info, (None, "system"), State.archived.value, None,
                         {"reason": "incomplete"})
            return
        self.resume_to = None
        self.act(at, Action.supply_info, (None, "reporter"), resume_to, rng.choice(INFO_SUPPLIED))

    def verify(self, at: datetime, admin: tuple) -> None:
        """Verify and dispose the complaint to its category's unit (or the Puskesmas of its kecamatan)."""
        w, rng = self.w, self.rng
        unit = self.default_unit
        if self.category == "layanan-kesehatan" and self.kecamatan and rng.random() < 0.7:
            unit = rng.choice(w["kecamatan"][self.kecamatan][1])
        self.unit = unit
        self.verified_at = at
        self.act(at, Action.verify, admin, State.dispositioned.value, None, {
            "unit": unit, "class": self.klass, "category": self.category, "anonymous": self.anonymous,
            "confidential": self.confidential, "sop_version": w["version"]})

    def handle(self, at: datetime) -> None:
        """Play the unit's part: a possible return, acknowledgement, follow-ups and the reporter's answer."""
        w, rng = self.w, self.rng
        if rng.random() < 0.04:  # "bukan wewenang": back to the administrator, then to another unit
            at = self.later(at, rng.choice((0, 1, 2)))
            if not self.happen(at):
                return
            handler = w["handlers"][self.unit]
            from_unit = self.unit
            self.bounces = 1
            self.act(at, Action.return_, (handler[0], "unit_admin"), State.returned.value, RETURN_NOTE,
                     {"from_unit": from_unit, "bounce_count": 1, "too_many_bounces": False}, internal=True)
            self.unit = None
            at = self.later(at, rng.choice((0, 1, 2)))
            if not self.happen(at):
                return
            self.unit = rng.choice([u for u in w["redispose_to"] if u != from_unit])
            self.act(at, Action.redispose, (rng.choice(w["admins"]), "admin_instansi"), State.dispositioned.value,
                     None, {"unit": self.unit}, internal=True)
        handler = w["handlers"][self.unit]
        at = self.later(at, rng.choice((0, 0, 0, 0, 1, 1, 1, 2)))
        if not self.happen(at):
            return
        self.act(at, Action.acknowledge, (rng.choice(handler), rng.choice(("unit_admin", "penghubung"))),
                 State.in_progress.value)
        for round_ in (1, 2):
            slow = 3 if self.klass == "pengaduan_berkadar_pengawasan" else 1
            at = self.later(at, slow * rng.choice((1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 6, 9)))
            if at > NOW and rng.random() < 0.35 and self.happen(min(NOW, self.updated + timedelta(days=1))):
                self.emit(min(NOW, self.updated + timedelta(days=1)), (handler[0], "unit_admin"), "draft_response",
                          self.state, self.state, DRAFT_NOTE, True)
            if not self.happen(at):
                return
            self.respond(at, (handler[1], "penghubung"))
            answer = rng.random()
            window = self.clocks[ClockKind.confirmation.value]
            if answer < 0.55:
                at = self.later(at, rng.choice((0, 1, 1, 2, 3, 5, 8)))
                if at < window.due_at and self.happen(at):
                    self.close(at, Action.confirm, (None, "reporter"), "confirmed")
                    self.rate(at)
                    return
            elif answer < 0.59 and round_ == 1:
                at = self.later(at, rng.choice((1, 2, 4)))
                if at < window.due_at and self.happen(at):
                    self.act(at, Action.dispute, (None, "reporter"), State.in_progress.value, DISPUTE_NOTE)
                    continue
            elif answer < 0.64:
                at = self.later(at, rng.choice((2, 4, 7)))
                if at < window.due_at and self.happen(at):
                    self.close(at, Action.close, (rng.choice(w["admins"]), "admin_instansi"), "admin", CLOSE_NOTE)
                    return
            at = window.due_at + AFTER
            if self.happen(at):
                self.close(at, Action.auto_close, (None, "system"), "auto")
            return

    def respond(self, at: datetime, actor: tuple) -> None:
        """Post the follow-up, sometimes with what failed (the complaint's finding)."""
        rng, details = self.rng, {}
        if rng.random() < 0.4:
            failures = [k for k in ("procedure", "facilities", "cost", "staff") if rng.random() < 0.3] or ["facilities"]
            substantiated = rng.choice((True, True, False, None))
            details = {"failures": failures, "substantiated": substantiated}
            self.finding = (self.w["unit_ids"][self.unit], "procedure" in failures, "facilities" in failures,
                            "cost" in failures, "staff" in failures, substantiated, at, actor[0])
        self.act(at, Action.respond, actor, State.responded.value, rng.choice(RESPONSES), details)

    def close(self, at: datetime, action: Action, actor: tuple, closure: str, comment: str | None = None) -> None:
        """Close the complaint by ``action``."""
        self.closure, self.closed_at = closure, at
        self.act(at, action, actor, State.closed.value, comment, {"closure": closure})

    def rate(self, at: datetime) -> None:
        """Let a share of reporters rate the handling after closing."""
        if self.rng.random() < 0.35:
            score = self.rng.choice((5, 5, 4, 4, 4, 3, 2, 1))
            at = at + timedelta(minutes=self.rng.randint(1, 90))
            if at <= NOW:
                self.rating = (score, self.w["unit_ids"][self.unit], at)
                self.emit(at, (None, "reporter"), "rate", details={"score": score})

    # --- rows ----------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Record the thresholds of running clocks that have passed, and when the sweep must look next."""
        self.sweep_until(NOW)
        for kind, clock in self.clocks.items():
            fired = self.fired.get((kind, clock.started_at), set())
            pending = [t.at for t in self.thresholds(clock) if t.name not in fired]
            clock.next_check_at = min(pending, default=None)


STOPPED = frozenset(status.value for status in STOPPED_CLOCK_STATUSES)


def text_of(life: Life) -> tuple[str, str]:
    """Return an Indonesian title and description for the complaint's category and place."""
    rng = life.rng
    desa = life.desa or "Semarapura Kangin"
    fill = {"street": rng.choice(STREETS), "desa": desa, "kecamatan": life.kecamatan or "Klungkung",
            "when": rng.choice(WHEN)}
    if life.category in TEMPLATES:
        titles, body = TEMPLATES[life.category]
        title = rng.choice(titles).format(**fill)
    else:
        name = life.w["category_names"][life.category]
        title = rng.choice(GENERIC_TITLES).format(name=name, **fill)
        body = GENERIC_TEXT.replace("{lower}", name.lower())
    return title[:200], body.format(**fill) + " " + rng.choice(PLEA)


def complaint_row(life: Life) -> dict:
    """Return the complaint's table row."""
    w, rng = life.w, life.rng
    title, description = text_of(life)
    code = tracking_code(w["prefix"], life.id, life.received)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    phone = f"08{rng.randint(11, 99)}{rng.randint(1_000_000, 99_999_999)}" if rng.random() < 0.8 else None
    located = rng.random() < 0.4
    state = life.state
    return {
        "id": life.id, "tracking_code": code, "pin_hash": pin_hash(code, pin_of(life.id)), "state": state,
        "resume_to": life.resume_to if state == State.pending_info.value else None,
        "closure": life.closure if state == State.closed.value else None,
        "archive_reason": life.archive_reason if state == State.archived.value else None,
        "channel": life.channel, "title": title, "description": description, "category_code": life.category,
        "class_code": life.klass if life.verified_at else None,
        "occurred_on": (life.received - timedelta(days=rng.randint(0, 10))).date() if rng.random() < 0.5 else None,
        "desa": life.desa, "kecamatan": life.kecamatan,
        "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}" if rng.random() < 0.5 else None,
        "lat": round(-8.53 - rng.random() * 0.25, 6) if located else None,
        "lng": round(115.38 + rng.random() * 0.2, 6) if located else None,
        "reporter_name": name if rng.random() < 0.93 else None, "reporter_phone": phone,
        "reporter_email": f"{name.split()[-1].lower()}{life.id % 997}@contoh.id" if rng.random() < 0.3 else None,
        "anonymous": life.anonymous, "confidential": life.confidential,
        "confidentiality_confirmed": life.verified_at is not None,
        "needs_assistance": rng.random() < 0.03, "gesi_gender": rng.choice(("female", "male", "female", "male", None)),
        "gesi_disability": rng.choice((False, False, False, None, True)) if rng.random() < 0.6 else None,
        "gesi_marginal_group": rng.choice(("lansia", "nelayan", "petani")) if rng.random() < 0.05 else None,
        "unit_id": w["unit_ids"][life.unit] if life.unit else None, "sop_version_id": w["version_id"],
        "entered_by_id": life.entered_by,
        "duplicate_of_id": life.duplicate_of if state == State.archived.value else None,
        "transfer_target": life.transfer_target if state == State.transferred.value else None,
        "external_ref": f"{life.channel.upper()}-{life.id:08d}" if life.channel in ("lapor", "mesadu") else None,
        "escalation_level": life.level, "bounce_count": life.bounces, "reopen_count": 0,
        "received_at": life.received, "verified_at": life.verified_at,
        "closed_at": life.closed_at if state == State.closed.value else None,
        "created_at": life.received, "updated_at": life.updated, "version": life.version,
    }


def fact_of(life: Life, row: dict) -> dict:
    """Return the complaint's indicator fact, counted by the app's own ``indicators.compute_fact``."""
    w, units = _WORLD, _WORLD["unit_tree"]
    unit = units.get(life.unit, (None, None))
    parent = units.get(unit[1], (None, None))
    grand = units.get(parent[1], (None, None))
    finding = life.finding or (None,) * 6
    shaped = {"unit_code": life.unit, "unit_kind": unit[0], "parent_code": unit[1], "parent_kind": parent[0],
              "grand_code": parent[1], "grand_kind": grand[0], "rating": life.rating[0] if life.rating else None,
              "finding": life.id if life.finding else None, "failure_procedure": finding[1],
              "failure_facilities": finding[2], "failure_cost": finding[3], "failure_staff": finding[4],
              "substantiated": finding[5], "verified": life.verified_at is not None,
              "confirmation_started_at": None}
    for kind in ("verification", "response", "resolution", "confirmation"):
        clock = life.clocks.get(kind)
        shaped[f"{kind}_status"] = clock.status if clock else None
        shaped[f"{kind}_breached"] = clock is not None and clock.breached_at is not None
    if "confirmation" in life.clocks:
        shaped["confirmation_started_at"] = life.clocks["confirmation"].started_at
    fact = indicators.compute_fact(SimpleNamespace(**row, **shaped), w["tz"], w["places"], w["calendar_of"])
    return fact.row()


def generate_chunk(task: tuple) -> dict:
    """Simulate complaints ``first``… and return their rows per table (COPY text for PostgreSQL)."""
    index, first, count, start, end, copy_text = task
    w = _WORLD
    rng = random.Random(w["seed"] * 1_000_003 + index)
    span = (end - start).total_seconds()
    moments = []
    while len(moments) < count:
        moment = start + timedelta(seconds=int(rng.random() * span))
        # Fewer complaints come in at weekends.
        if moment.astimezone(w["regency_calendar"].tz).weekday() < 5 or rng.random() < 0.5:
            moments.append(moment)
    moments.sort()
    tables: dict[str, list] = {name: [] for name in TABLES if name != "complaint_events"}
    events: list = []
    states: Counter = Counter()
    for offset, received in enumerate(moments):
        life = Life(w, rng, first + offset, received)
        life.live()
        life.finish()
        states[life.state] += 1
        tables["complaints"].append(complaint_row(life))
        for kind, clock in life.clocks.items():
            tables["clocks"].append({
                "id": life.id * 5 + KIND_INDEX[kind], "complaint_id": life.id, "kind": kind,
                "status": clock.status, "limit_working_days": clock.limit_working_days,
                "started_at": clock.started_at, "due_at": clock.due_at, "paused_at": clock.paused_at,
                "remaining_working_days": clock.remaining_working_days, "breached_at": clock.breached_at,
                "stopped_at": clock.stopped_at, "next_check_at": getattr(clock, "next_check_at", None)})
        previous = GENESIS
        for seq, (at, actor_id, role, action, from_state, to_state, comment, internal, details) in enumerate(
                life.events, 1):
            # The hash covers the time as event_hash's JSON default writes it (UTC ISO-8601); given as that
            # text, the canonical JSON is the same and the default is not called for every event.
            moment = at.isoformat()
            previous = event_hash(previous, {
                "complaint_id": life.id, "seq": seq, "at": moment, "actor_id": actor_id, "actor_role": role,
                "action": action, "from_state": from_state, "to_state": to_state, "comment": comment,
                "internal": internal, "details": details})
            # Seven events a complaint: written straight in the table's column order (EVENT_COLUMNS).
            if copy_text:
                events.append(f"{life.id}\t{moment}\t{_copy_number(actor_id)}\t{role}\t{action}\t"
                              f"{_copy_code(from_state)}\t{_copy_code(to_state)}\t{_copy_text(comment)}\t"
                              f"{'t' if internal else 'f'}\t{_copy_json(details)}\t{seq}\t{previous}\n")
            else:
                events.append((life.id, sqlite_value(at), actor_id, role, action, from_state, to_state, comment,
                                int(internal), sqlite_value(details), seq, previous))
        for clock_id, threshold, cycle, fired_at in life.marks:
            tables["sla_marks"].append({"clock_id": clock_id, "threshold": threshold, "cycle": cycle,
                                        "fired_at": fired_at})
        if life.rating:
            score, unit_id, at = life.rating
            tables["ratings"].append({"complaint_id": life.id, "score": score, "comment": None, "unit_id": unit_id,
                                      "rated_at": at})
        if life.finding:
            unit_id, procedure, facilities, cost, staff, substantiated, at, by = life.finding
            tables["complaint_findings"].append({
                "complaint_id": life.id, "unit_id": unit_id, "procedure": procedure, "facilities": facilities,
                "cost": cost, "staff": staff, "substantiated": substantiated, "recorded_at": at,
                "recorded_by_id": by})
        tables["indicator_facts"].append(fact_of(life, tables["complaints"][-1]))
    rows = {"complaint_events": "".join(events).encode() if copy_text else events}
    for name, found in tables.items():
        if copy_text:
            converters = COPY_CONVERTERS[name]
            rows[name] = "".join(["\t".join([convert(row.get(column, default)) for column, default, convert
                                             in converters]) + "\n" for row in found]).encode()
        else:
            defaults = [(column, default) for column, default, _ in COPY_CONVERTERS[name]]
            rows[name] = [tuple(sqlite_value(row.get(column, default)) for column, default in defaults)
                          for row in found]
    return {"rows": rows, "states": states, "events": len(events)}


# The columns each table is written with; ids the database numbers itself are left out (events, marks, ratings).
TABLES = {
    "complaints": tuple(c.name for c in Complaint.__table__.columns),
    "clocks": tuple(c.name for c in Clock.__table__.columns),
    "complaint_findings": tuple(c.name for c in ComplaintFinding.__table__.columns),
    "ratings": tuple(c.name for c in Rating.__table__.columns if c.name != "id"),
    "complaint_events": tuple(c.name for c in ComplaintEvent.__table__.columns if c.name != "id"),
    "sla_marks": tuple(c.name for c in SlaMark.__table__.columns if c.name != "id"),
    "indicator_facts": tuple(c.name for c in IndicatorFact.__table__.columns),
}
# Scalar column defaults the app sets in Python (pin_failures = 0 …): COPY and executemany must send them.
MODELS = {"complaints": Complaint, "clocks": Clock, "complaint_findings": ComplaintFinding, "ratings": Rating,
          "complaint_events": ComplaintEvent, "sla_marks": SlaMark, "indicator_facts": IndicatorFact}
DEFAULTS = {name: {c.name: c.default.arg for c in model.__table__.columns
                   if c.default is not None and c.default.is_scalar} for name, model in MODELS.items()}
EVENT_COLUMNS = ("complaint_id", "at", "actor_id", "actor_role", "action", "from_state", "to_state", "comment",
                 "internal", "details", "seq", "hash")
assert TABLES["complaint_events"] == EVENT_COLUMNS, "complaint_events changed: fill its columns in generate_chunk"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    return "\\N" if value is None else value.translate(_ESCAPES)


def _copy_code(value) -> str:
    return "\\N" if value is None else value


def _copy_number(value) -> str:
    return "\\N" if value is None else str(value)


def _copy_bool(value) -> str:
    return "\\N" if value is None else ("t" if value else "f")


def _copy_time(value) -> str:
    return "\\N" if value is None else value.isoformat()


def _copy_json(value) -> str:
    return _json_text(value).translate(_ESCAPES)


_quote = json.encoder.encode_basestring  # the C encoder of a JSON string, quotes included


def _json_text(value) -> str:
    # Audit details are flat: written directly, a fraction of json.dumps' cost per call; anything else by it.
    if type(value) is not dict:
        return json.dumps(value)
    parts = []
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            text = _quote(item)
        elif item is None:
            text = "null"
        elif kind is bool:
            text = "true" if item else "false"
        elif kind is int:
            text = str(item)
        else:
            return json.dumps(value)
        parts.append(f"{_quote(key)}:{text}")
    return "{" + ",".join(parts) + "}"


# Columns whose generated values are codes, hashes or names from the SOP: never a tab, newline or backslash.
CODE_COLUMNS = frozenset({"tracking_code", "pin_hash", "state", "resume_to", "closure", "archive_reason", "channel",
                          "category_code", "class_code", "desa", "kecamatan", "gesi_gender", "gesi_marginal_group",
                          "external_ref", "kind", "status", "actor_role", "action", "from_state", "to_state", "hash",
                          "threshold"})


def _copy_converter(column):
    type_ = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    kind = dict if isinstance(type_, JSON) else type_.python_type
    if kind is str:
        return _copy_code if column.name in CODE_COLUMNS else _copy_text
    if kind is bool:
        return _copy_bool
    if kind in (int, float):
        return _copy_number
    if kind in (datetime, date):
        return _copy_time
    return _copy_json


# Each column's default (sent when the generator leaves it out) and PostgreSQL COPY text form.
COPY_CONVERTERS = {name: [(c, DEFAULTS[name].get(c), _copy_converter(MODELS[name].__table__.c[c])) for c in columns]
                   for name, columns in TABLES.items()}


def sqlite_value(value):
    """Return ``value`` as SQLAlchemy stores it in SQLite (naive UTC text times, JSON text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


# --- building the database --------------------------------------------------------------------------------

def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database of ``url``, or remove the SQLite file."""
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = parsed.database
    maintenance = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def create_staff() -> tuple[dict, dict]:
    """Create the benchmark's accounts (every role, a handler and a penghubung per disposition unit)."""
    _, sop = load_active()
    ids, accounts = {}, {}
    for username, role, unit in MEASURED + OTHERS:
        user = people.create_user(username, role, PASSWORD, unit, full_name=username)
        ids[username] = user.id
        accounts[username] = {"role": role, "unit": unit, "password": PASSWORD,
                              "token": people.issue_token(username) if (username, role, unit) in MEASURED else None}
    for code in disposition_units(sop):
        for role, suffix in (("unit_admin", "admin"), ("penghubung", "penghubung")):
            username = f"{code.lower()}-{suffix}"
            ids[username] = people.create_user(username, role, PASSWORD, code, full_name=username).id
    db.session.commit()
    return ids, accounts


def load_active():
    """Return the active SOP version and its parsed SOP."""
    from workflow.services.sop import active_sop

    return active_sop()


def build(url: str, count: int, seed: int, workers: int, span_days: int = SPAN_DAYS, rebuild: bool = False,
          check: bool = False) -> dict:
    """Build the database and return the summary."""
    phases: dict[str, float] = {}
    started = time.perf_counter()
    fresh_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(url), "SECRET_KEY": SECRET_KEY, "FIXED_NOW": NOW,
                      "NOTIFICATIONS_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        dialect = db.engine.dialect.name
        upgrade(revision="heads")
        version = load_sop_version("klungkung")
        db.session.commit()
        user_ids, accounts = create_staff()
        phases["schema, SOP and accounts"] = time.perf_counter() - started
        sop = sop_of(version)
        world = world_of(sop, user_ids, version.id, seed)
        cumulative, total = [], 0
        for weight in world["weights"]:
            total += weight
            cumulative.append(total)
        world["cumulative"] = cumulative
        world["channel_of"] = [name for name, _ in CHANNELS]
        world["channel_cumulative"] = [sum(w for _, w in CHANNELS[:i + 1]) for i in range(len(CHANNELS))]
        world["category_names"] = {c[0]: c[1] for c in world["categories"]}
        db.session.commit()  # no read transaction of this session may span the writer's (SQLite would refuse)
        mark = time.perf_counter()
        states, events, cpu = load(world, count, dialect, workers, span_days)
        phases["complaints, clocks, events (generate and load)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        if rebuild:
            counted = indicators.rebuild()
            phases["indicators.rebuild()"] = time.perf_counter() - mark
        else:
            counted = roll_up()
            phases["indicator roll-ups"] = time.perf_counter() - mark
        db.session.commit()
        mark = time.perf_counter()
        analyze()
        phases["vacuum and analyze"] = time.perf_counter() - mark
        mark = time.perf_counter()
        checked, broken = sample_chains(seed, 1_000)
        phases["sample audit check"] = time.perf_counter() - mark
        checks = None
        if check:
            mark = time.perf_counter()
            events_checked, chain_break = audit.verify()
            checks = {"audit_events_verified": events_checked, "audit_break": chain_break and vars(chain_break),
                      "indicator_differences": indicators.check(deep=True)}
            db.session.rollback()
            phases["full checks (audit verify, indicators check --deep)"] = time.perf_counter() - mark
        totals = {name: db.session.scalar(select(func.count()).select_from(model)) for name, model in (
            ("complaints", Complaint), ("clocks", Clock), ("events", ComplaintEvent), ("sla_marks", SlaMark),
            ("ratings", Rating), ("findings", ComplaintFinding))}
        open_running = db.session.scalar(select(func.count()).select_from(Clock).where(
            Clock.status == ClockStatus.running.value, Clock.next_check_at <= NOW))
        software = versions()
    seconds = time.perf_counter() - started
    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "database": dialect,
        "url": make_url(database_url(url)).render_as_string(hide_password=True), "complaints": count, "seed": seed,
        "days": span_days,
        "workers": workers, "now": NOW.isoformat(), "secret_key": SECRET_KEY,
        "pin": "pin_of(id) = f'{(id * 7919 + 104729) % 1000000:06d}' (bench/generate.py)",
        "build_seconds": round(seconds, 1), "phases_seconds": {k: round(v, 1) for k, v in phases.items()},
        "load_cpu_seconds": cpu,
        "rows": totals, "events_per_complaint": round(events / max(1, count), 2),
        "states": dict(sorted(states.items(), key=lambda kv: -kv[1])), "indicator_facts": counted,
        "running_clocks_due_at_now": open_running,
        "audit_sample": {"complaints": 1_000, "events": checked, "broken": broken}, "checks": checks,
        "accounts": accounts, "versions": software,
    }


def load(world: dict, count: int, dialect: str, workers: int, span_days: int) -> tuple[Counter, int, dict]:
    """Generate the complaints in worker processes and write each chunk as it comes.

    Returns the states, the number of events and the CPU seconds of the workers, of this process and (on
    PostgreSQL) of the server process that ran the COPYs: on a shared machine, wall time alone misleads.
    """
    span_seconds = span_days * 86_400
    first_moment = NOW - timedelta(days=span_days)
    tasks = []
    for index, first in enumerate(range(1, count + 1, CHUNK)):
        size = min(CHUNK, count + 1 - first)
        start = first_moment + timedelta(seconds=span_seconds * (first - 1) / count)
        end = first_moment + timedelta(seconds=span_seconds * (first - 1 + size) / count)
        tasks.append((index, first, size, start, end, dialect == "postgresql"))
    states, events = Counter(), 0
    children, own = resource.getrusage(resource.RUSAGE_CHILDREN), time.process_time()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_start_worker, initargs=(world,)) as pool:
        # Opened after the fork, so no worker holds a copy of the connection.
        writer = PostgresWriter() if dialect == "postgresql" else SqliteWriter()
        for done, chunk in enumerate(pool.imap(generate_chunk, tasks), 1):
            writer.write(chunk["rows"])
            states.update(chunk["states"])
            events += chunk["events"]
            if done % 10 == 0 or done == len(tasks):
                print(f"  {min(done * CHUNK, count):,} complaints written", flush=True)
    server = writer.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {"workers": round(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 1),
           "loader": round(time.process_time() - own, 1), "database server": server}
    return states, events, cpu


class PostgresWriter:
    """COPY each chunk's rows, one transaction per chunk, foreign-key and audit triggers off for this session."""

    def __init__(self):
        import psycopg

        url = make_url(db.engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connection = psycopg.connect(url)
        # The generated rows are consistent by construction: skip the per-row foreign-key triggers while
        # loading (this session only; every trigger stays enabled for everyone else and after the load).
        self.connection.execute("SET session_replication_role = replica")
        self.connection.commit()

    def write(self, rows: dict) -> None:
        """Write one chunk."""
        with self.connection.cursor() as cursor:
            for table, data in rows.items():
                if data:
                    with cursor.copy(f"COPY {table} ({', '.join(TABLES[table])}) FROM STDIN") as copy:
                        copy.write(data)
        self.connection.commit()

    def close(self) -> float | None:
        """Move the id sequences past the given ids, restore the session's trigger setting; return the server's
        CPU seconds for this connection (its process on this machine), if it can be read."""
        for table in ("complaints", "clocks"):
            self.connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        self.connection.execute("SET session_replication_role = DEFAULT")
        self.connection.commit()
        cpu = process_cpu(self.connection.info.backend_pid)
        self.connection.close()
        return cpu


class SqliteWriter:
    """Insert each chunk with executemany in one transaction."""

    def __init__(self):
        self.connection = db.engine.raw_connection()
        self.cursor = self.connection.cursor()
        self.cursor.execute("PRAGMA synchronous = OFF")

    def write(self, rows: dict) -> None:
        """Write one chunk."""
        self.cursor.execute("BEGIN")
        for table, data in rows.items():
            if data:
                columns = TABLES[table]
                self.cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                        f"({', '.join('?' * len(columns))})", data)
        self.cursor.execute("COMMIT")

    def close(self) -> None:
        """Restore durable writes."""
        self.cursor.execute("PRAGMA synchronous = FULL")
        self.connection.close()


def process_cpu(pid: int) -> float | None:
    """Return the CPU seconds process ``pid`` used so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def roll_up() -> int:
    """Sum the loaded facts into the monthly roll-ups and duration histograms, as ``indicators.rebuild`` does."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE indicator_facts"))  # just loaded: the grouping is planned on real sizes
    for name, column in indicators.DIMENSIONS.items():
        key = literal("") if column is None else getattr(IndicatorFact, column)
        sums = [func.sum(getattr(IndicatorFact, c)) for c in indicators.COUNTS]
        db.session.execute(insert(IndicatorRollup).from_select(
            ["month", "dimension", "key", *indicators.COUNTS],
            select(IndicatorFact.month, literal(name), key, *sums).group_by(IndicatorFact.month, key)))
        db.session.execute(insert(IndicatorDuration).from_select(
            ["month", "dimension", "key", "working_days", "n"],
            select(IndicatorFact.month, literal(name), key, IndicatorFact.resolve_days, func.count())
            .where(IndicatorFact.resolve_days.is_not(None))
            .group_by(IndicatorFact.month, key, IndicatorFact.resolve_days)))
    return db.session.scalar(select(func.count()).select_from(IndicatorFact))


def analyze() -> None:
    """Refresh the planner's statistics after the bulk load; on PostgreSQL also vacuum the tables the queues read.

    A running database's autovacuum keeps the visibility map of its tables current, which lets an index answer
    a count alone; a table loaded a minute ago has none yet, and every page would measure a state no running
    instance is in.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.exec_driver_sql("VACUUM (ANALYZE) complaints, clocks")
            autocommit.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def sample_chains(seed: int, size: int) -> tuple[int, dict | None]:
    """Recompute the hash chains of ``size`` random complaints exactly as ``flask audit verify`` does."""
    highest = db.session.scalar(select(func.max(Complaint.id))) or 0
    ids = sorted(random.Random(seed).sample(range(1, highest + 1), min(size, highest)))
    rows = db.session.execute(
        select(ComplaintEvent.id, ComplaintEvent.hash, *(getattr(ComplaintEvent, n) for n in audit.HASHED))
        .where(ComplaintEvent.complaint_id.in_(ids)).order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)).all()
    checked, complaint_id, previous, expected = 0, None, GENESIS, 1
    for row in rows:
        if row.complaint_id != complaint_id:
            complaint_id, previous, expected = row.complaint_id, GENESIS, 1
        if row.seq != expected or row.hash != event_hash(previous, audit.fields_of(row)):
            return checked, {"complaint_id": row.complaint_id, "event_id": row.id, "seq": row.seq}
        checked, previous, expected = checked + 1, row.hash, expected + 1
    return checked, None


def versions() -> dict:
    """Return the versions a reader needs to compare runs."""
    server = db.session.scalar(text("SELECT version()")) if db.engine.dialect.name == "postgresql" else (
        "SQLite " + db.session.scalar(text("SELECT sqlite_version()")))
    return {"python": platform.python_version(), "database": server.split(" on ")[0], "cpus": os.cpu_count()}


def main() -> None:
    """Parse the arguments, build the database, print and write the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite:////tmp/aduflow-bench.db")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2, help="processes that generate rows")
    parser.add_argument("--days", type=int, default=SPAN_DAYS, help="received over this many days before NOW "
                        "(fewer: a larger share still open, for small test sets)")
    parser.add_argument("--out", default=str(OUT / "generate.json"))
    parser.add_argument("--rebuild", action="store_true", help="count the indicator facts with the app's "
                        "indicators.rebuild() after loading (slower) instead of in the workers")
    parser.add_argument("--check", action="store_true", help="verify every audit chain and recount every "
                        "indicator fact after building (slow at 1,000,000)")
    args = parser.parse_args()
    summary = build(args.database, args.complaints, args.seed, args.workers, args.days, args.rebuild, args.check)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"{summary['database']}: {args.complaints:,} complaints built in {summary['build_seconds']:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in summary['phases_seconds'].items())})")
    print(f"  CPU seconds of the load: {', '.join(f'{k} {v}' for k, v in summary['load_cpu_seconds'].items())}")
    print(f"  rows: {', '.join(f'{k} {v:,}' for k, v in summary['rows'].items())}; "
          f"{summary['events_per_complaint']} events per complaint")
    print(f"  states: {', '.join(f'{k} {v:,}' for k, v in summary['states'].items())}")
    print(f"  audit sample: {summary['audit_sample']['events']:,} events of 1,000 complaints, "
          f"broken: {summary['audit_sample']['broken']}; summary: {args.out}")


if __name__ == "__main__":
    main()
