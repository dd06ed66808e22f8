"""The vocabulary of the complaint lifecycle: states, actions, roles and their codes."""

from enum import Enum, StrEnum


class State(StrEnum):
    """Where a complaint stands in its lifecycle."""

    received = "received"
    pending_info = "pending_info"
    dispositioned = "dispositioned"
    in_progress = "in_progress"
    returned = "returned"
    responded = "responded"
    closed = "closed"
    transferred = "transferred"
    archived = "archived"

    @property
    def label(self) -> str:
        """Return the Indonesian label used by SP4N-LAPOR!."""
        return STATE_LABELS[self]


STATE_LABELS = {
    State.received: "Diterima, belum terverifikasi",
    State.pending_info: "Tertunda, menunggu kelengkapan dari pelapor",
    State.dispositioned: "Terdisposisi, belum ditindaklanjuti",
    State.in_progress: "Sedang diproses",
    State.returned: "Bukan wewenang, menunggu redisposisi",
    State.responded: "Sudah ditanggapi, menunggu konfirmasi pelapor",
    State.closed: "Selesai",
    State.transferred: "Diteruskan ke instansi lain",
    State.archived: "Diarsipkan",
}

FINAL_STATES = frozenset({State.closed, State.transferred, State.archived})
OPEN_STATES = frozenset(State) - FINAL_STATES
# States in which a unit holds the complaint, so it must name one.
UNIT_STATES = frozenset({State.dispositioned, State.in_progress, State.responded})


class Action(StrEnum):
    """What an actor (or the system) does to a complaint."""

    verify = "verify"
    request_info = "request_info"
    supply_info = "supply_info"
    expire_info = "expire_info"
    archive = "archive"
    mark_duplicate = "mark_duplicate"
    acknowledge = "acknowledge"
    return_ = "return"
    redispose = "redispose"
    transfer_out = "transfer_out"
    respond = "respond"
    confirm = "confirm"
    dispute = "dispute"
    auto_close = "auto_close"
    close = "close"
    reopen = "reopen"
    escalate = "escalate"


class Role(StrEnum):
    """Who acts: staff roles, the reporter, and the system's own clocks."""

    reporter = "reporter"
    facilitator = "facilitator"
    admin_instansi = "admin_instansi"
    unit_admin = "unit_admin"
    penghubung = "penghubung"
    coordinator = "coordinator"
    inspector = "inspector"
    leader = "leader"
    sysadmin = "sysadmin"
    system = "system"


STAFF_ROLES = frozenset(Role) - {Role.reporter, Role.system}
# Roles whose reach is one unit and the units below it.
UNIT_SCOPED_ROLES = frozenset({Role.unit_admin, Role.penghubung})
# Roles that see every complaint of the regency.
REGENCY_ROLES = frozenset({Role.admin_instansi, Role.coordinator, Role.inspector, Role.leader, Role.sysadmin})
# Only the administrator may see a hidden reporter identity.
IDENTITY_ROLES = frozenset({Role.admin_instansi})


class Closure(StrEnum):
    """How a closed complaint was closed."""

    confirmed = "confirmed"
    auto = "auto"
    admin = "admin"


class ArchiveReason(StrEnum):
    """Why a complaint was archived without resolution."""

    out_of_scope = "out_of_scope"
    duplicate = "duplicate"
    unintelligible = "unintelligible"
    spam = "spam"
    incomplete = "incomplete"
    withdrawn = "withdrawn"


class Channel(StrEnum):
    """Where a complaint came in: no wrong door."""

    web = "web"
    mobile = "mobile"
    open311 = "open311"
    sms = "sms"
    whatsapp = "whatsapp"
    email = "email"
    phone = "phone"
    walk_in = "walk_in"
    letter = "letter"
    complaint_box = "complaint_box"
    social_media = "social_media"
    lapor = "lapor"
    mesadu = "mesadu"


class ClockKind(StrEnum):
    """The working-day clocks a complaint runs."""

    verification = "verification"
    response = "response"
    resolution = "resolution"
    confirmation = "confirmation"
    info = "info"


class ClockStatus(StrEnum):
    """Where a clock stands: running or paused; then met, breached, expired (windows) or cancelled."""

    running = "running"
    paused = "paused"
    met = "met"
    breached = "breached"
    expired = "expired"
    cancelled = "cancelled"


# Windows give the reporter time; they expire rather than breach.
WINDOW_CLOCKS = frozenset({ClockKind.confirmation, ClockKind.info})
STOPPED_CLOCK_STATUSES = frozenset({ClockStatus.met, ClockStatus.breached, ClockStatus.expired, ClockStatus.cancelled})

MAX_ESCALATION_LEVEL = 3


def values(enum: type[Enum]) -> list[str]:
    """Return the string values of an enum, in declaration order."""
    return [member.value for member in enum]
