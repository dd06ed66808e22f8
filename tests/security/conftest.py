"""A shared world for the security tests: one account per role, complaints a unit holds or must not see,
hidden identities, notices and attachments — built once per module, read through clients that behave like
a browser, an API caller or a reporter.

The world is module-scoped (building it costs more than most checks it serves); tests that change it must
say so and build their own complaints. On PostgreSQL it starts from emptied tables like the ``app`` fixture,
so a module must not mix the world with the function-scoped ``app`` fixture.
"""

import io
import os
import shutil
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import T0, empty_postgres, make_app, new_complaint, on_postgres
from web.transaction import unit_of_work
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import Complaint, Notice, User
from workflow.services import attachments, notes, outbox, people
from workflow.services.actions import take_action
from workflow.services.intake import file_complaint
from workflow.services.sop import load_sop_version

# The bounded checks run in every test run; SECURITY_FULL=1 runs them in full (make security).
FULL = os.environ.get("SECURITY_FULL") == "1"
PASSWORD = "correct-horse-battery"
# Whom each role's account belongs to: (role, unit). Two units, so "the other unit" exists.
ACCOUNTS = {
    "admin": ("admin_instansi", "ORG"),
    "pupr": ("unit_admin", "PUPRKP"),
    "penghubung_pupr": ("penghubung", "PUPRKP"),
    "pdam": ("unit_admin", "PDAM"),
    "penghubung_pdam": ("penghubung", "PDAM"),
    "coordinator": ("coordinator", "KLK"),
    "inspector": ("inspector", "INSP"),
    "leader": ("leader", "KLK"),
    "sysadmin": ("sysadmin", "DISKOMINFO"),
    "facilitator": ("facilitator", None),
}
# One account per role (the PUPRKP ones for the unit roles): the rows of the authorization matrix.
ROLE_ACCOUNTS = {"admin_instansi": "admin", "unit_admin": "pupr", "penghubung": "penghubung_pupr",
                 "coordinator": "coordinator", "inspector": "inspector", "leader": "leader", "sysadmin": "sysadmin",
                 "facilitator": "facilitator"}
# The reporters whose identity must stay with the administrator. Each writes it into their own words too.
HIDDEN = {
    "name": "Ni Luh Putu Sekarwangi",
    "phone": "081311112222",
    "email": "sekarwangi.rahasia@example.id",
}
CONFIDENTIAL = {
    "name": "I Made Darmayasa Wirawan",
    "phone": "+62 813 5555 6666",
    "email": "darmayasa.wirawan@example.id",
}
VERIFY = {"class": "pengaduan_tidak_berkadar_pengawasan", "anonymous": False, "confidential": False}
# Generous limits: the world's tests count refusals by role, not by address (test_web checks the limits).
WORLD_CONFIG = {"TRACKING_RATE_LIMIT": "100000 per minute", "LOGIN_RATE_LIMIT": "100000 per minute",
                "PUBLIC_FILING_RATE_LIMIT": "100000 per minute", "NOTIFICATIONS_ENABLED": True}


def identity_forms(identity: dict) -> list[str]:
    """Return the ways an identity may be written: the name, its last word, the e-mail, every phone form."""
    digits = "".join(ch for ch in identity["phone"] if ch.isdigit())
    national = digits[2:] if digits.startswith("62") else digits[1:]
    return [identity["name"], identity["name"].split()[-1], identity["email"], identity["phone"], digits,
            "0" + national, "+62" + national, "62" + national]


@dataclass
class Account:
    """A staff account of the world: its user id, role, unit, actor and API token."""

    username: str
    role: str
    unit: str | None
    user_id: int
    actor: Actor
    token: str

    @property
    def headers(self) -> dict:
        """Return the Authorization header for API calls."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Filed:
    """A complaint of the world: id, tracking code and the reporter's PIN."""

    id: int
    code: str
    pin: str


@dataclass
class World:
    """The app with its accounts and complaints."""

    app: object
    accounts: dict[str, Account] = field(default_factory=dict)
    complaints: dict[str, Filed] = field(default_factory=dict)
    attachment_id: int = 0
    notice_ids: dict[str, int] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def visitor(self, who: str | None = None) -> "Visitor":
        """Return a client for ``who``: an account name, ``reporter:<complaint>``, or None (anyone)."""
        return Visitor(self, who)


class Visitor:
    """One person's client: a browser session (staff signed in, or a reporter's opened complaint) plus,
    for staff, the API token. Each request runs in its own app context, as on a real server."""

    def __init__(self, world: World, who: str | None):
        self.world, self.who = world, who
        self.client = world.app.test_client()
        self.headers: dict = {}
        if who is None:
            return
        if who.startswith("reporter:"):
            filed = world.complaints[who.removeprefix("reporter:")]
            self.headers = {"X-Tracking-Pin": filed.pin}
            with self.client.session_transaction() as session:
                session["lacak"] = {"code": filed.code, "id": filed.id}
            return
        account = world.accounts[who]
        self.headers = account.headers
        user = db.session.get(User, account.user_id)
        with self.client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user.get_id(), True

    def open(self, method: str, path: str, **kwargs):
        """Send one request (the API token or PIN goes along unless ``headers`` are given) and read it."""
        kwargs.setdefault("headers", self.headers)
        db.session.commit()  # what the test arranged is stored before the server looks
        with self.world.app.app_context():
            response = self.client.open(path, method=method, **kwargs)
            response.get_data()
            response.close()
        db.session.expire_all()  # what the server changed is read afresh
        return response

    def get(self, path: str, **kwargs):
        """Send a GET."""
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        """Send a POST."""
        return self.open("POST", path, **kwargs)

    def flashes(self) -> list[tuple[str, str]]:
        """Return (and keep) the messages waiting in the browser session."""
        with self.client.session_transaction() as session:
            return list(session.get("_flashes", []))


def png(colour: str = "red", size: tuple[int, int] = (8, 8)) -> bytes:
    """Return a small PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def module_app(database_url: str, tmp_path, **overrides):
    """Return an app on a fresh copy of the migrated database (emptied tables on PostgreSQL)."""
    if on_postgres():
        url = database_url
    else:
        copy = tmp_path / "world.db"
        shutil.copyfile(database_url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    return make_app(url, FIXED_NOW=T0, ATTACHMENT_DIR=str(tmp_path / "attachments"),
                    MAIL_SINK_DIR=str(tmp_path / "mail"), **(WORLD_CONFIG | overrides))


def build_world(app) -> World:
    """Create the accounts and the complaints (called inside an app context; commits)."""
    if on_postgres():
        empty_postgres()
    load_sop_version("klungkung")
    world = World(app)
    for username, (role, unit) in ACCOUNTS.items():
        user = people.create_user(username, role, PASSWORD, unit, full_name=f"Petugas {username}")
        world.accounts[username] = Account(username, role, unit, user.id, people.actor_for(user),
                                           people.issue_token(username))
    db.session.commit()
    admin, a = world.accounts["admin"].actor, world.accounts
    moment = iter(T0 + timedelta(minutes=n) for n in range(1, 1000))

    def filed(name: str, actor: Actor | None = None, **overrides) -> Filed:
        result = file_complaint(new_complaint(**overrides), actor, next(moment))
        world.complaints[name] = Filed(result.complaint.id, result.complaint.tracking_code, result.pin)
        db.session.commit()
        return world.complaints[name]

    def act(name: str, action: str, actor: Actor, **body) -> None:
        with unit_of_work():
            take_action(world.complaints[name].id, action, actor, next(moment), body)

    # Still waiting for verification: no unit holds it yet.
    filed("received")
    # Held by PUPRKP, its reporter anonymous — and naming themself in the story, a note and a dispute.
    story = (f"Saya {HIDDEN['name']} ({HIDDEN['phone']}, {HIDDEN['email']}). Lubang besar di depan pura, "
             f"dua motor jatuh minggu ini.")
    filed("anonymous", title=f"Jalan rusak dilaporkan {HIDDEN['name']}", description=story, anonymous=True,
          reporter=HIDDEN, gesi={"gender": "female", "marginal_group": "lansia"})
    act("anonymous", "verify", admin, **(VERIFY | {"unit": "PUPRKP", "anonymous": True,
                                                   "comment": "Diteruskan ke PUPRKP."}))
    act("anonymous", "acknowledge", a["pupr"].actor)
    act("anonymous", "respond", a["penghubung_pupr"].actor, comment="Lubang sudah ditambal.")
    reporter = Actor.reporter(world.complaints["anonymous"].id)
    act("anonymous", "dispute", reporter, comment=f"Saya {HIDDEN['name']} belum puas, hubungi {HIDDEN['phone']}.")
    with unit_of_work():
        notes.add_information(world.complaints["anonymous"].id, reporter, next(moment),
                              f"Tambahan dari {HIDDEN['name']}: surel saya {HIDDEN['email']}.")
        world.attachment_id = attachments.attach(world.complaints["anonymous"].id, reporter, next(moment),
                                                 f"ktp-{HIDDEN['name']}.png", io.BytesIO(png())).id
    # Held by PDAM, confidential: never public, and its reporter shown to staff who may see it.
    filed("confidential", category="air-pdam", title="Air PDAM mati di Banjar Siku", confidential=True,
          reporter=CONFIDENTIAL, description=f"Saya {CONFIDENTIAL['name']}. Air mati sejak Senin.")
    act("confidential", "verify", admin, **(VERIFY | {"unit": "PDAM", "confidential": True}))
    act("confidential", "acknowledge", a["pdam"].actor)
    # Held by PDAM in the open: the other unit's complaint, for id-guessing from PUPRKP.
    filed("pdam", category="air-pdam", title="Air PDAM keruh di Tojan")
    act("pdam", "verify", admin, **(VERIFY | {"unit": "PDAM"}))
    # Held by PUPRKP in the open.
    filed("pupr")
    act("pupr", "verify", admin, **(VERIFY | {"unit": "PUPRKP"}))
    # Entered by the village facilitator for a citizen.
    filed("facilitated", a["facilitator"].actor, channel="walk_in")
    # Notices reach the staff in-app inboxes.
    outbox.deliver_due(T0 + timedelta(hours=1), outbox.senders_from(app.config), unit_of_work=unit_of_work)
    db.session.commit()
    for notice in db.session.scalars(select(Notice).order_by(Notice.id)):
        for account in world.accounts.values():
            if account.user_id == notice.user_id:
                world.notice_ids.setdefault(account.username, notice.id)
    return world


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    """Return the module's world (see the module docstring)."""
    app = module_app(database_url, tmp_path_factory.mktemp("world"))
    with app.app_context():
        yield build_world(app)
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def complaint_row(filed: Filed) -> Complaint:
    """Return the stored complaint, read afresh."""
    db.session.expire_all()
    return db.session.scalar(select(Complaint).filter_by(id=filed.id))
