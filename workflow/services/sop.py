"""Use cases for SOP versions: load a folder as a new version, find the active one, pin complaints."""

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from sop import Sop, load_sop, sop_path
from sop.loader import checksum
from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.models import SopVersion, Unit
from workflow.services import reference


def load_sop_version(folder_or_name: str, actor: Actor | None = None) -> SopVersion:
    """Validate an SOP folder, store it as a version, make it active and sync the unit tree.

    Loading the same content again is a no-op; a new ``version`` with other content becomes the
    active version, and complaints already verified keep the version they were pinned to.
    """
    folder = sop_path(folder_or_name) if "/" not in folder_or_name else folder_or_name
    sop = load_sop(folder)
    db.session.info.pop(_ACTIVE, None)
    digest = checksum(sop)
    existing = db.session.scalar(select(SopVersion).filter_by(code=sop.code, version=sop.version))
    if existing is not None:
        if existing.checksum != digest:
            raise InvalidInput(
                f"SOP {sop.code} versi {sop.version} sudah tersimpan dengan isi berbeda; naikkan nomor versi.",
                {"version": sop.version})
        version = existing
    else:
        version = SopVersion(code=sop.code, version=sop.version, checksum=digest, document=sop.document(),
                             loaded_by_id=actor.user_id if actor else None)
        db.session.add(version)
    db.session.execute(update(SopVersion).where(SopVersion.code == sop.code, SopVersion.id != version.id)
                       .values(active=False))
    db.session.flush()
    version.active = True
    sync_units(sop)
    db.session.flush()
    return version


def sync_units(sop: Sop) -> None:
    """Create or update the units an SOP names; units it no longer names are deactivated, never deleted."""
    by_code = {u.code: u for u in db.session.scalars(select(Unit))}
    named = set()
    for spec in sop.units:
        unit = by_code.get(spec.code) or Unit(code=spec.code)
        unit.name, unit.kind = spec.name, spec.kind
        unit.parent = by_code[spec.parent] if spec.parent else None
        unit.timezone = sop.sop.timezone
        unit.working_days = ",".join(spec.working_days)
        unit.observes_regional_days = spec.observes_regional_days
        unit.active = True
        if unit.id is None:
            db.session.add(unit)
        by_code[spec.code] = unit
        named.add(spec.code)
    for code, unit in by_code.items():
        if code not in named:
            unit.active = False


def active_version(code: str | None = None) -> SopVersion:
    """Return the active SOP version (of ``code``, or the only SOP loaded).

    Read once per transaction (filing a complaint, routing it and counting it all ask for it), from what
    this process keeps while the reference stamp holds (services.reference).
    """
    code = code or None
    memo = db.session.info.setdefault(_ACTIVE, {})
    version = memo.get(code)
    if version is None:
        values = reference.kept(("active SOP version", code), lambda: _active_values(code))
        if values is None:
            raise NotFound("Belum ada SOP aktif; jalankan `flask sop load klungkung`.", {"sop": code})
        memo[code] = version = _attached(values)
    return version


def _active_values(code: str | None) -> dict | None:
    query = _ACTIVE_ANY if code is None else _ACTIVE_ANY.where(SopVersion.code == code)
    row = db.session.execute(query).first()
    return None if row is None else dict(row._mapping)


def _attached(values: dict) -> SopVersion:
    # The row this process keeps becomes this session's instance without a query (SQLAlchemy's recipe for
    # cached objects); its document stays unloaded, read only if this process has not parsed the version.
    version = SopVersion(**values)
    make_transient_to_detached(version)
    return db.session.merge(version, load=False)


def active_sop(code: str | None = None) -> tuple[SopVersion, Sop]:
    """Return the active SOP version row and its parsed SOP."""
    version = active_version(code)
    return version, sop_of(version)


def sop_of(version: SopVersion) -> Sop:
    """Return the parsed SOP of a stored version (its large document is read only the first time)."""
    key = (version.id, version.checksum)
    if key not in _PARSED:
        _PARSED[key] = Sop.model_validate(version.document)
    return _PARSED[key]


# Parsed SOPs by (version id, checksum): versions are immutable, so the cache never goes stale.
_PARSED: dict[tuple[int, str], Sop] = {}
# Per session: the active version rows of the current transaction, by SOP code (None: the only SOP).
_ACTIVE = "aduflow.sop.active"
_ACTIVE_ANY = (select(*(column for column in SopVersion.__table__.columns if column.key != "document"))
               .where(SopVersion.active.is_(True)).order_by(SopVersion.id))


@event.listens_for(Session, "after_transaction_end")
def _forget_active(session: Session, transaction) -> None:
    # Another process may load a new version: every transaction checks the reference stamp again.
    if transaction.parent is None:
        session.info.pop(_ACTIVE, None)
