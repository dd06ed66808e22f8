"""Load an SOP folder and refuse a broken one with errors that name file, key and problem."""

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from sop.schema import Sop, place_key

# Which file holds which top-level keys of the SOP.
FILES = {
    "sop.toml": ("sop", "clocks", "escalation", "classes", "targets", "adjustments"),
    "units.toml": ("units",),
    "categories.toml": ("categories",),
    "calendar.toml": ("national", "regional_days"),
    "routing.toml": ("routing",),
    "programmes.toml": ("programmes",),
    "self_assessment.toml": ("self_assessment",),
}
# Files an SOP may leave out; their keys then stay empty (an SOP without an action plan of its own).
OPTIONAL_FILES = frozenset({"programmes.toml", "self_assessment.toml"})


@dataclass(frozen=True)
class SopError:
    """One problem in an SOP: where it is and what is wrong."""

    file: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.problem}"


class SopInvalid(Exception):
    """The SOP cannot be used; ``errors`` lists every problem found."""

    def __init__(self, errors: list[SopError]):
        self.errors = errors
        super().__init__("SOP tidak valid / invalid SOP:\n" + "\n".join(f"  - {e}" for e in errors))


def load_sop(folder: Path | str) -> Sop:
    """Read, validate and cross-check the SOP in ``folder``; raise :class:`SopInvalid` if broken."""
    folder = Path(folder)
    data, origin, errors = {}, {}, []
    if not folder.is_dir():
        raise SopInvalid([SopError(str(folder), "-", "folder not found")])
    for name, keys in FILES.items():
        path = folder / name
        try:
            content = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if name not in OPTIONAL_FILES:
                errors.append(SopError(str(path), "-", "file is missing"))
            continue
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            errors.append(SopError(str(path), "-", f"not valid TOML: {exc}"))
            continue
        for key in content:
            if key not in keys:
                errors.append(SopError(str(path), key, f"unknown key (this file holds: {', '.join(keys)})"))
        for key in keys:
            if key in content:
                data[key] = content[key]
            origin[key] = str(path)
    if errors:
        raise SopInvalid(errors)
    try:
        sop = Sop.model_validate(data)
    except ValidationError as exc:
        raise SopInvalid([_from_pydantic(err, origin, folder) for err in exc.errors()]) from None
    errors = cross_check(sop, origin)
    if errors:
        raise SopInvalid(errors)
    return sop


def checksum(sop: Sop) -> str:
    """Return a stable sha256 of the SOP's content, to tell versions apart."""
    return hashlib.sha256(json.dumps(sop.document(), sort_keys=True).encode()).hexdigest()


def cross_check(sop: Sop, origin: dict[str, str]) -> list[SopError]:
    """Return the problems that span keys: unknown references, duplicates, a missing regency."""
    errors: list[SopError] = []

    def err(key_root: str, key: str, problem: str) -> None:
        errors.append(SopError(origin.get(key_root, key_root), key, problem))

    seen: set[str] = set()
    for i, unit in enumerate(sop.units):
        if unit.code in seen:
            err("units", f"units[{i}].code", f"duplicate unit code {unit.code!r}")
        if unit.kind == "regency":
            if unit.parent is not None:
                err("units", f"units[{i}].parent", "the regency unit has no parent")
        elif unit.parent is None:
            err("units", f"units[{i}].parent", f"unit {unit.code!r} needs a parent")
        elif unit.parent not in seen:
            err("units", f"units[{i}].parent", f"unknown unit {unit.parent!r} (define a parent before its children)")
        seen.add(unit.code)
    regencies = [u.code for u in sop.units if u.kind == "regency"]
    if regencies != [sop.sop.regency_unit]:
        err("sop", "sop.regency_unit",
            f"must name the one unit of kind 'regency' (found {regencies or 'none'})")
    class_codes = [c.code for c in sop.classes]
    for i, code in enumerate(class_codes):
        if class_codes.index(code) != i:
            err("classes", f"classes[{i}].code", f"duplicate class {code!r}")
    if not class_codes:
        err("classes", "classes", "at least one class is needed")
    category_codes: set[str] = set()
    for i, cat in enumerate(sop.categories):
        if cat.code in category_codes:
            err("categories", f"categories[{i}].code", f"duplicate category {cat.code!r}")
        category_codes.add(cat.code)
        if cat.default_unit not in seen:
            err("categories", f"categories[{i}].default_unit", f"unknown unit {cat.default_unit!r}")
        if cat.default_class not in class_codes:
            err("categories", f"categories[{i}].default_class", f"class {cat.default_class!r} is not defined")
    for i, adj in enumerate(sop.adjustments):
        if adj.category and adj.category not in category_codes:
            err("adjustments", f"adjustments[{i}].category", f"unknown category {adj.category!r}")
    years = [t.year for t in sop.targets]
    for i, year in enumerate(years):
        if years.index(year) != i:
            err("targets", f"targets[{i}].year", f"duplicate target year {year}")
    days = [d.date for d in sop.regional_days]
    for i, day in enumerate(days):
        if days.index(day) != i:
            err("regional_days", f"regional_days[{i}].date", f"duplicate day {day.isoformat()}")
    errors += routing_problems(sop, seen, category_codes, origin)
    errors += plan_problems(sop, seen, origin)
    return errors


def plan_problems(sop: Sop, unit_codes: set[str], origin: dict[str, str]) -> list[SopError]:
    """Return the problems of programmes.toml and self_assessment.toml: codes out of place, unknown units."""
    errors: list[SopError] = []
    file = origin.get("programmes", "programmes")
    plan = sop.programmes
    codes: set[str] = set()

    def check_code(key: str, code: str, parent: str | None) -> None:
        if code in codes:
            errors.append(SopError(file, key, f"duplicate code {code!r}"))
        codes.add(code)
        if parent is not None and not code.startswith(parent + "."):
            errors.append(SopError(file, key, f"code {code!r} must start with its parent's code {parent!r}"))

    for i, group in enumerate(plan.groups):
        check_code(f"programmes.groups[{i}].code", group.code, None)
        for j, programme in enumerate(group.programmes):
            key = f"programmes.groups[{i}].programmes[{j}]"
            check_code(f"{key}.code", programme.code, group.code)
            for k, activity in enumerate(programme.activities):
                akey = f"{key}.activities[{k}]"
                check_code(f"{akey}.code", activity.code, programme.code)
                for year in activity.years:
                    if year not in plan.years:
                        errors.append(SopError(file, f"{akey}.years", f"{year} is not a year of the plan "
                                                                      f"{list(plan.years)}"))
                for unit in activity.units:
                    if unit not in unit_codes:
                        errors.append(SopError(file, f"{akey}.units", f"unknown unit {unit!r}"))
    file = origin.get("self_assessment", "self_assessment")
    aspects = sop.self_assessment.aspects
    numbers = [s.number for a in aspects for s in a.statements]
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        errors.append(SopError(file, "self_assessment.aspects",
                               f"statements must be numbered 1..{len(numbers)} in order (found {numbers})"))
    names = [a.code for a in aspects]
    for i, code in enumerate(names):
        if names.index(code) != i:
            errors.append(SopError(file, f"self_assessment.aspects[{i}].code", f"duplicate aspect {code!r}"))
    return errors


# A rule that may disposition without the administrator must be one the SOP is sure of.
CERTAIN_MIN_CONFIDENCE = 0.9


def routing_problems(sop: Sop, unit_codes: set[str], category_codes: set[str],
                     origin: dict[str, str]) -> list[SopError]:
    """Return the problems of routing.toml: unknown units, categories or kecamatan, duplicates."""
    errors: list[SopError] = []
    file = origin.get("routing", "routing")
    routing = sop.routing

    def check_unit(key: str, code: str) -> None:
        if code not in unit_codes:
            errors.append(SopError(file, key, f"unknown unit {code!r}"))
        elif code == sop.sop.regency_unit:
            errors.append(SopError(file, key, "the regency unit itself cannot receive a disposition"))

    for i, rule in enumerate(routing.keyword_rules):
        check_unit(f"routing.keyword_rules[{i}].unit", rule.unit)
        for code in rule.categories:
            if code not in category_codes:
                errors.append(SopError(file, f"routing.keyword_rules[{i}].categories", f"unknown category {code!r}"))
        if rule.certain and rule.confidence < CERTAIN_MIN_CONFIDENCE:
            errors.append(SopError(file, f"routing.keyword_rules[{i}].confidence",
                                   f"a certain rule needs confidence >= {CERTAIN_MIN_CONFIDENCE}"))
    for i, local in enumerate(routing.local_units):
        if local.category not in category_codes:
            errors.append(SopError(file, f"routing.local_units[{i}].category", f"unknown category {local.category!r}"))
    kecamatan: set[str] = set()
    for i, kec in enumerate(routing.kecamatan):
        if place_key(kec.name) in kecamatan:
            errors.append(SopError(file, f"routing.kecamatan[{i}].name", f"duplicate kecamatan {kec.name!r}"))
        kecamatan.add(place_key(kec.name))
        check_unit(f"routing.kecamatan[{i}].unit", kec.unit)
        for j, code in enumerate(kec.puskesmas):
            check_unit(f"routing.kecamatan[{i}].puskesmas[{j}]", code)
    places: set[str] = set()
    for i, desa in enumerate(routing.desa):
        if place_key(desa.kecamatan) not in kecamatan:
            errors.append(SopError(file, f"routing.desa[{i}].kecamatan",
                                   f"unknown kecamatan {desa.kecamatan!r} (define it under [[routing.kecamatan]])"))
        for name in (desa.name, *desa.aliases):
            if place_key(name) in places:
                errors.append(SopError(file, f"routing.desa[{i}].name", f"duplicate desa or alias {name!r}"))
            places.add(place_key(name))
    codes: set[str] = set()
    for i, jurisdiction in enumerate(routing.jurisdictions):
        if jurisdiction.code in codes:
            errors.append(SopError(file, f"routing.jurisdictions[{i}].code",
                                   f"duplicate jurisdiction {jurisdiction.code!r}"))
        codes.add(jurisdiction.code)
    return errors


def _from_pydantic(error: dict, origin: dict[str, str], folder: Path) -> SopError:
    loc = error["loc"]
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    root = str(loc[0]) if loc else "-"
    message = error["msg"]
    if error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "extra_forbidden":
        message = "unknown key"
    return SopError(origin.get(root, str(folder)), key or "-", message)
