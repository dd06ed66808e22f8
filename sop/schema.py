"""The shape of an SOP, checked field by field when it loads (pydantic models)."""

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{0,31}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]
WorkingDays = Annotated[int, Field(ge=1, le=365)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CLASS_CODES = ("aspirasi", "permintaan_informasi", "pengaduan_tidak_berkadar_pengawasan",
               "pengaduan_berkadar_pengawasan")


class Strict(BaseModel):
    """A frozen model that refuses unknown keys, so a typo in the SOP is an error, not a silence."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(Strict):
    """Who the SOP belongs to and its regency-wide switches."""

    code: Slug
    version: Annotated[str, StringConstraints(pattern=r"^\d{4}\.\d+$")]
    name: Text
    timezone: str
    regency_unit: Code
    tracking_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,5}$")]
    units_may_respond: bool = False
    reopen_window_working_days: WorkingDays = 10
    max_bounces: Annotated[int, Field(ge=1, le=20)] = 3
    # Rules marked ``certain`` in routing.toml may disposition a new complaint without the administrator.
    auto_dispose_certain: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Asia/Makassar')") from None
        return value


class Clocks(Strict):
    """The regency-wide clock limits, in working days."""

    verification_working_days: WorkingDays
    response_working_days: WorkingDays
    confirmation_working_days: WorkingDays
    info_working_days: WorkingDays
    info_reminder_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.5


class Escalation(Strict):
    """The escalation ladder's thresholds."""

    warning_fraction: Annotated[float, Field(gt=0, lt=1)]
    level2_multiple: Annotated[float, Field(gt=1)]
    level2_open_working_days: WorkingDays
    stuck_working_days: WorkingDays = 10


class ComplaintClass(Strict):
    """A resolution class and its limit."""

    code: Literal[CLASS_CODES]  # type: ignore[valid-type]
    name: Text
    name_en: Text
    resolution_working_days: WorkingDays


class Target(Strict):
    """An action-plan target for one year (Perbup 4/2022 Table 3.1)."""

    year: Annotated[int, Field(ge=2000, le=2100)]
    received: Annotated[int, Field(ge=0)]
    resolved_percent: Annotated[float, Field(ge=0, le=100)]


class Adjustment(Strict):
    """Extra resolution days where a complaint needs them (a field check on the islands, say)."""

    kecamatan: Text | None = None
    category: Slug | None = None
    class_: Literal[CLASS_CODES] | None = Field(default=None, alias="class")  # type: ignore[valid-type]
    extra_working_days: WorkingDays
    reason: Text


class Unit(Strict):
    """A unit of the regency's tree: the regency, an OPD, or a service unit (UPPP)."""

    code: Code
    name: Text
    kind: Literal["regency", "opd", "uppp"]
    parent: Code | None = None
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    observes_regional_days: bool = True


class Category(Strict):
    """A complaint category with its default unit and class."""

    code: Slug
    name: Text
    name_en: Text
    description: Text
    group: Text
    default_unit: Code
    default_class: Literal[CLASS_CODES]  # type: ignore[valid-type]
    keywords: tuple[Text, ...] = ()
    resolution_working_days: WorkingDays | None = None


class National(Strict):
    """Where national holidays and cuti bersama come from (the ``holidays`` package)."""

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    categories: tuple[Literal["public", "government"], ...]


class RegionalDay(Strict):
    """A regional day off (Bali's Hindu dispensation days)."""

    date: date
    name: Text
    name_en: Text
    kind: Literal["bali_dispensation", "regional_holiday"]


Confidence = Annotated[float, Field(gt=0, le=1)]
Keyword = Annotated[str, StringConstraints(min_length=2, max_length=80, strip_whitespace=True)]


class KeywordRule(Strict):
    """Words in a complaint's title or description that point to a unit."""

    keywords: Annotated[tuple[Keyword, ...], Field(min_length=1)]
    unit: Code
    confidence: Confidence
    # Certain rules may disposition automatically where the SOP allows it (sop.auto_dispose_certain).
    certain: bool = False
    # Only for complaints filed in these categories (empty: any category).
    categories: tuple[Slug, ...] = ()


class LocalUnit(Strict):
    """A category handled by the unit of the complaint's area: its kecamatan or its Puskesmas."""

    category: Slug
    use: Literal["kecamatan", "puskesmas"]
    confidence: Confidence


class Kecamatan(Strict):
    """A kecamatan, the unit of its camat, and the Puskesmas that serve it."""

    name: Text
    unit: Code
    puskesmas: tuple[Code, ...] = ()


class Desa(Strict):
    """A desa or kelurahan and its kecamatan."""

    name: Text
    kecamatan: Text
    kind: Literal["desa", "kelurahan"] = "desa"
    aliases: tuple[Text, ...] = ()


class Jurisdiction(Strict):
    """A matter outside the regency's authority and the agency it must be transferred to."""

    code: Slug
    target: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    level: Literal["national", "provincial", "vertical", "state_enterprise", "other"]
    keywords: Annotated[tuple[Keyword, ...], Field(min_length=1)]
    confidence: Confidence


_PLACE_PREFIXES = ("desa ", "kelurahan ", "kel ", "kecamatan ", "kec ")


def place_key(name: str) -> str:
    """Return the form a place name is compared in: "Desa  Semarapura-Kaja" and "semarapura kaja" match."""
    key = " ".join("".join(ch if ch.isalnum() else " " for ch in name.casefold()).split())
    for prefix in _PLACE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


class Routing(Strict):
    """Routing suggestions (routing.toml): keyword rules, areas and matters outside the regency."""

    category_confidence: Confidence = 0.5
    category_keyword_confidence: Confidence = 0.15
    kecamatan_confidence: Confidence = 0.1
    keyword_rules: tuple[KeywordRule, ...] = ()
    local_units: tuple[LocalUnit, ...] = ()
    kecamatan: tuple[Kecamatan, ...] = ()
    desa: tuple[Desa, ...] = ()
    jurisdictions: tuple[Jurisdiction, ...] = ()


Year = Annotated[int, Field(ge=2000, le=2100)]
ActivityCode = Annotated[str, StringConstraints(pattern=r"^\d{1,2}(\.\d{1,2}){0,2}$")]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]
MEASURES = ("active_handlers", "trained_handlers", "data_into_policy", "received_growth")


class Activity(Strict):
    """An activity of the action plan (Perbup 4/2022 Table 3.2), its years and its responsible units."""

    code: ActivityCode
    name: LongText
    years: Annotated[tuple[Year, ...], Field(min_length=1)]
    units: Annotated[tuple[Code, ...], Field(min_length=1)]
    responsible: Text
    # Bimtek activities: attending one counts a handler as trained (Table 3.3, group 2).
    training: bool = False


class Programme(Strict):
    """A programme of the action plan and its activities."""

    code: ActivityCode
    name: LongText
    name_en: LongText
    activities: Annotated[tuple[Activity, ...], Field(min_length=1)]


class ProgrammeGroup(Strict):
    """A programme group (kelompok program) of the action plan."""

    code: ActivityCode
    name: Text
    name_en: Text
    programmes: Annotated[tuple[Programme, ...], Field(min_length=1)]


class SuccessIndicator(Strict):
    """A success indicator of a programme group (Table 3.3), with the figure the engine computes for it, if any."""

    group: Annotated[int, Field(ge=1, le=20)]
    group_name: Text
    text: LongText
    measure: Literal[MEASURES] | None = None  # type: ignore[valid-type]


class Programmes(Strict):
    """The action plan's programmes (programmes.toml); empty for SOPs without one."""

    plan: Text | None = None
    years: tuple[Year, ...] = ()
    groups: tuple[ProgrammeGroup, ...] = ()
    success_indicators: tuple[SuccessIndicator, ...] = ()

    def activities(self) -> list[tuple[ProgrammeGroup, Programme, Activity]]:
        """Return every activity with its group and programme, in the table's order."""
        return [(g, p, a) for g in self.groups for p in g.programmes for a in p.activities]

    def activity(self, code: str) -> Activity | None:
        """Return the activity with ``code``, or None."""
        return next((a for _, _, a in self.activities() if a.code == code), None)


class Statement(Strict):
    """One statement of the self-assessment matrix (Table 2.2)."""

    number: Annotated[int, Field(ge=1, le=200)]
    text: LongText
    text_en: LongText


class Aspect(Strict):
    """An aspect of the self-assessment and its statements; its score is the mean of theirs."""

    code: Slug
    name: Text
    name_en: Text
    statements: Annotated[tuple[Statement, ...], Field(min_length=1)]


class SelfAssessment(Strict):
    """The self-assessment matrix (self_assessment.toml); empty for SOPs without one."""

    scale_min: Literal[1] = 1
    scale_max: Literal[4] = 4
    aspects: tuple[Aspect, ...] = ()

    def statements(self) -> list[tuple[Aspect, Statement]]:
        """Return every statement with its aspect, in number order."""
        return sorted(((a, s) for a in self.aspects for s in a.statements), key=lambda pair: pair[1].number)


class Sop(Strict):
    """A whole SOP: every file of its folder, validated and cross-checked."""

    sop: Meta
    clocks: Clocks
    escalation: Escalation
    classes: tuple[ComplaintClass, ...]
    targets: tuple[Target, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    units: tuple[Unit, ...]
    categories: tuple[Category, ...]
    national: National
    regional_days: tuple[RegionalDay, ...] = ()
    # Empty for versions stored before routing.toml existed.
    routing: Routing = Routing()
    # Empty for versions stored before programmes.toml and self_assessment.toml existed.
    programmes: Programmes = Programmes()
    self_assessment: SelfAssessment = SelfAssessment()

    @property
    def code(self) -> str:
        """Return the SOP's code (``klungkung``)."""
        return self.sop.code

    @property
    def version(self) -> str:
        """Return the SOP's version (``2026.1``)."""
        return self.sop.version

    def unit(self, code: str) -> Unit:
        """Return the unit with ``code``."""
        return next(u for u in self.units if u.code == code)

    def category(self, code: str) -> Category | None:
        """Return the category with ``code``, or None."""
        return next((c for c in self.categories if c.code == code), None)

    def complaint_class(self, code: str) -> ComplaintClass | None:
        """Return the class with ``code``, or None."""
        return next((c for c in self.classes if c.code == code), None)

    def resolution_limit(self, class_code: str, category_code: str | None = None,
                         kecamatan: str | None = None) -> int:
        """Return the resolution limit in working days, refined by category and area."""
        limit = self.complaint_class(class_code).resolution_working_days
        category = self.category(category_code) if category_code else None
        if category and category.resolution_working_days:
            limit = category.resolution_working_days
        for adj in self.adjustments:
            if ((adj.kecamatan is None or (kecamatan or "").casefold() == adj.kecamatan.casefold())
                    and (adj.category is None or adj.category == category_code)
                    and (adj.class_ is None or adj.class_ == class_code)):
                limit += adj.extra_working_days
        return limit

    def document(self) -> dict:
        """Return the SOP as plain JSON data, for storing a version."""
        return self.model_dump(mode="json", by_alias=True)
