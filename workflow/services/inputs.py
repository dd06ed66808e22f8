"""The shapes of what callers send: a new complaint and each action's parameters.

Every edge (JSON API, web forms, CLI, connectors) parses input through :func:`parse`, so a bad
field always gets the same plain-language error naming the field and what to fix.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError, field_validator

from workflow.domain.errors import InvalidInput
from workflow.domain.states import ArchiveReason, Channel

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Input(BaseModel):
    """A strict input: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Location(Input):
    """Where the problem is."""

    desa: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    kecamatan: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None


class Reporter(Input):
    """Who complains; every field is optional (no wrong door, anonymous welcome)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$")] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254,
                                            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None


class Gesi(Input):
    """Voluntary data for disaggregated statistics (gender, disability, social inclusion)."""

    gender: Literal["female", "male", "other", "undisclosed"] | None = None
    disability: bool | None = None
    marginal_group: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class NewComplaint(Input):
    """A complaint as filed through any channel."""

    title: Line
    description: Text
    category: Code
    location: Location = Field(default_factory=Location)
    occurred_on: date | None = None
    reporter: Reporter = Field(default_factory=Reporter)
    anonymous: bool = False
    confidential: bool = False
    needs_assistance: bool = False
    gesi: Gesi = Field(default_factory=Gesi)
    channel: Channel = Channel.web
    received_at: datetime | None = None
    external_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class ActionInput(Input):
    """What every action accepts: an optional comment and the version the caller last saw."""

    comment: Note | None = None
    expected_version: Annotated[StrictInt, Field(ge=1)] | None = None


class Verify(ActionInput):
    """Verify a complaint and dispose it to a unit; confidentiality must be decided explicitly."""

    unit: Code
    class_: Code = Field(alias="class")
    category: Code | None = None
    anonymous: bool
    confidential: bool


class NeedsComment(ActionInput):
    """An action whose comment is required (a question, an answer, a reason)."""

    comment: Text


# What can fail in a public service (Perbup 4/2022 §2.1.5): procedure or process, facilities, cost,
# and the competence or behaviour of staff.
FAILURE_KINDS = ("procedure", "facilities", "cost", "staff")


class Respond(NeedsComment):
    """Post the follow-up; optionally tag what failed and whether the complaint was substantiated."""

    failures: Annotated[list[Literal[FAILURE_KINDS]], Field(max_length=len(FAILURE_KINDS))] = []  # type: ignore[valid-type]
    substantiated: bool | None = None

    @field_validator("failures")
    @classmethod
    def _each_once(cls, failures: list[str]) -> list[str]:
        return [kind for kind in FAILURE_KINDS if kind in failures]


class Archive(ActionInput):
    """Archive without resolution, with a reason (duplicates use ``mark_duplicate``)."""

    reason: Literal[tuple(r.value for r in ArchiveReason if r is not ArchiveReason.duplicate)]  # type: ignore[valid-type]


class MarkDuplicate(ActionInput):
    """Link a complaint to the original it repeats."""

    duplicate_of: Code


class Return(ActionInput):
    """Hand a complaint back to the administrator: not this unit's authority."""

    comment: Text


class Redispose(ActionInput):
    """Dispose a returned complaint to another unit."""

    unit: Code


# The national hub: a transfer to it is delivered by the SP4N-LAPOR! connector (workflow/connectors/lapor.py).
LAPOR_HUB = "SP4N-LAPOR!"
_HUB_NAMES = frozenset({"sp4nlapor", "lapor"})


def is_lapor_hub(target: str | None) -> bool:
    """Return whether ``target`` names the SP4N-LAPOR! hub, however it is spelt ("sp4n lapor", "LAPOR!")."""
    return target is not None and "".join(ch for ch in target.lower() if ch.isalnum()) in _HUB_NAMES


class TransferOut(ActionInput):
    """Transfer a complaint to an agency outside the regency; target "SP4N-LAPOR!" sends it to the hub."""

    target: Line
    external_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None

    @field_validator("target")
    @classmethod
    def _one_spelling_for_the_hub(cls, target: str) -> str:
        # Stored one way, so the connector and the statistics recognise every transfer to the hub.
        return LAPOR_HUB if is_lapor_hub(target) else target


class Escalate(ActionInput):
    """Raise the escalation level, with a reason; by one unless a higher ``level`` is named."""

    comment: Text
    level: Annotated[int, Field(ge=1, le=3)] | None = None


def parse(model: type[Input], data: Any) -> Input:
    """Validate ``data`` against ``model`` or raise :class:`InvalidInput` naming each bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput("Isi permintaan harus berupa objek JSON. / The body must be a JSON object.", {})
    if nul := [field for field, value in _strings(data) if NUL in value]:
        raise nul_refused(nul)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = {}
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "-"
            details[field] = _explain(error)
        raise InvalidInput("Isian tidak valid; perbaiki kolom yang disebut. / Invalid input; fix the fields named.",
                           details) from None


# No person types U+0000, and PostgreSQL cannot store it: text that carries it is refused wherever it comes in.
NUL = "\x00"


def nul_refused(fields: list[str]) -> InvalidInput:
    """Return the refusal of text that contains a NUL character, naming where it was."""
    return InvalidInput("Isian berisi karakter NUL (U+0000) yang tidak dapat disimpan. / The input contains a NUL "
                        "character (U+0000), which cannot be stored.",
                        dict.fromkeys(fields[:10], "karakter NUL tidak diterima / NUL is not accepted"))


def _strings(data: Any, where: str = ""):
    # (field, text) for every key and string value in nested JSON data.
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{where}.{key}" if where else str(key)
            yield name, str(key)
            yield from _strings(value, name)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, f"{where}.{index}")
    elif isinstance(data, str):
        yield where or "-", data


def _explain(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "wajib diisi / required"
    if kind == "extra_forbidden":
        return "kolom tidak dikenal / unknown field"
    return error["msg"]
