"""The SOP as data: the shipped Klungkung SOP loads, and a broken one is refused with exact errors."""

import re
from datetime import date
from pathlib import Path

import pytest

from sop import SopInvalid, load_sop
from sop.loader import SopError, checksum


def edit(path: Path, pattern: str, replacement: str, occurrence: int = 0) -> None:
    """Replace the ``occurrence``-th (0-based) line matching ``pattern`` with ``replacement``."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    matches = [i for i, line in enumerate(lines) if re.match(pattern, line)]
    assert len(matches) > occurrence, f"{path.name} has no line #{occurrence} matching {pattern!r}"
    lines[matches[occurrence]] = replacement + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def problems(folder: Path) -> list[SopError]:
    """Load ``folder``, expecting it to be refused, and return the errors."""
    with pytest.raises(SopInvalid) as excinfo:
        load_sop(folder)
    assert excinfo.value.errors, "SopInvalid must name at least one problem"
    for error in excinfo.value.errors:
        assert str(error) in str(excinfo.value)
    return excinfo.value.errors


def find(errors: list[SopError], file: str, key: str) -> SopError:
    """Return the error about ``key`` in ``file``, failing with the whole list if there is none."""
    hits = [e for e in errors if Path(e.file).name == file and e.key == key]
    assert hits, f"no error for {file}: {key} in {[str(e) for e in errors]}"
    return hits[0]


# --- the shipped SOP ------------------------------------------------------------------------------

def test_the_shipped_klungkung_sop_loads(shipped):
    assert shipped.code == "klungkung"
    assert shipped.version == "2026.1"
    assert len(shipped.units) == 52
    assert len(shipped.categories) == 32
    assert shipped.sop.timezone == "Asia/Makassar"
    assert shipped.sop.regency_unit == "KLK"


def test_the_shipped_sop_carries_the_default_limits_of_the_product(shipped):
    clocks = shipped.clocks
    assert (clocks.verification_working_days, clocks.response_working_days,
            clocks.confirmation_working_days, clocks.info_working_days) == (3, 5, 10, 10)
    assert {c.code: c.resolution_working_days for c in shipped.classes} == {
        "aspirasi": 5,
        "permintaan_informasi": 5,
        "pengaduan_tidak_berkadar_pengawasan": 14,
        "pengaduan_berkadar_pengawasan": 60,
    }
    assert shipped.sop.units_may_respond is False


def test_the_shipped_calendar_lists_the_2026_galungan_days(shipped):
    days = {d.date for d in shipped.regional_days}
    assert {date(2026, 6, 16), date(2026, 6, 17), date(2026, 6, 18), date(2026, 4, 8), date(2026, 11, 4)} <= days
    assert (shipped.national.country, shipped.national.categories) == ("ID", ("public", "government"))


def test_every_category_points_at_a_unit_of_the_tree(shipped):
    codes = {u.code for u in shipped.units}
    assert all(c.default_unit in codes for c in shipped.categories)


def test_the_same_sop_always_has_the_same_checksum(shipped, folder):
    assert checksum(load_sop(folder)) == checksum(shipped)
    edit(folder / "sop.toml", r"^response_working_days\s*=", "response_working_days = 6")
    assert checksum(load_sop(folder)) != checksum(shipped)


# --- resolution limits ----------------------------------------------------------------------------

@pytest.mark.parametrize(("class_code", "kecamatan", "expected"), [
    ("aspirasi", None, 5),
    ("permintaan_informasi", None, 5),
    ("pengaduan_tidak_berkadar_pengawasan", None, 14),
    ("pengaduan_berkadar_pengawasan", None, 60),
    ("pengaduan_tidak_berkadar_pengawasan", "Nusa Penida", 19),
    ("pengaduan_tidak_berkadar_pengawasan", "nusa penida", 19),
    ("pengaduan_tidak_berkadar_pengawasan", "Dawan", 14),
    # The island adjustment is for field checks of the 14-day class only.
    ("aspirasi", "Nusa Penida", 5),
    ("pengaduan_berkadar_pengawasan", "Nusa Penida", 60),
])
def test_resolution_limit_by_class_and_area(shipped, class_code, kecamatan, expected):
    assert shipped.resolution_limit(class_code, kecamatan=kecamatan) == expected


def test_a_category_can_refine_the_class_limit_and_the_island_days_still_apply(folder):
    edit(folder / "categories.toml", r'^default_class = "', 'default_class = "pengaduan_tidak_berkadar_pengawasan"\n'
         "resolution_working_days = 7")
    refined = load_sop(folder)
    category = refined.categories[0].code
    other = refined.categories[1].code

    assert refined.resolution_limit("pengaduan_tidak_berkadar_pengawasan", category) == 7
    assert refined.resolution_limit("pengaduan_tidak_berkadar_pengawasan", category, "Nusa Penida") == 12
    assert refined.resolution_limit("pengaduan_tidak_berkadar_pengawasan", other) == 14


# --- a broken SOP is refused, naming file, key and problem ----------------------------------------

def test_an_unknown_top_level_key_in_sop_toml_is_named(folder):
    with (folder / "sop.toml").open("a", encoding="utf-8") as f:
        f.write('\n[notifications]\nsms = true\n')

    error = find(problems(folder), "sop.toml", "notifications")
    assert "unknown key" in error.problem


def test_a_misspelt_key_inside_a_table_is_named(folder):
    edit(folder / "sop.toml", r"^max_bounces\s*=", "max_bounce = 3")

    error = find(problems(folder), "sop.toml", "sop.max_bounce")
    assert error.problem == "unknown key"


def test_a_missing_required_key_is_named(folder):
    edit(folder / "sop.toml", r"^verification_working_days\s*=", "")

    error = find(problems(folder), "sop.toml", "clocks.verification_working_days")
    assert error.problem == "required key is missing"


def test_a_category_with_an_unknown_default_unit_is_named_by_position(folder):
    edit(folder / "categories.toml", r'^default_unit = "', 'default_unit = "DINAS-ANTAH"', occurrence=3)

    errors = problems(folder)

    error = find(errors, "categories.toml", "categories[3].default_unit")
    assert "unknown unit" in error.problem
    assert "DINAS-ANTAH" in error.problem
    assert len(errors) == 1


def test_a_duplicate_unit_code_is_named(folder):
    # units[0] is KLK, units[1] ORG, units[2] HUKUM: make the third a second ORG.
    edit(folder / "units.toml", r'^code = "HUKUM"', 'code = "ORG"')

    error = find(problems(folder), "units.toml", "units[2].code")
    assert "duplicate unit code 'ORG'" in error.problem


def test_an_unknown_time_zone_is_named(folder):
    edit(folder / "sop.toml", r"^timezone\s*=", 'timezone = "Asia/Semarapura"')

    error = find(problems(folder), "sop.toml", "sop.timezone")
    assert "unknown time zone 'Asia/Semarapura'" in error.problem


def test_a_file_that_is_not_toml_is_named(folder):
    (folder / "units.toml").write_text('[[units]]\ncode = "KLK\n', encoding="utf-8")

    error = find(problems(folder), "units.toml", "-")
    assert error.problem.startswith("not valid TOML")


def test_a_missing_file_is_named(folder):
    (folder / "calendar.toml").unlink()

    error = find(problems(folder), "calendar.toml", "-")
    assert error.problem == "file is missing"


def test_a_category_with_an_unknown_class_is_named(folder):
    edit(folder / "categories.toml", r'^default_class = "', 'default_class = "keluhan"', occurrence=3)

    error = find(problems(folder), "categories.toml", "categories[3].default_class")
    assert "aspirasi" in error.problem  # the message lists the classes that are allowed


def test_a_category_whose_class_is_not_defined_in_the_sop_is_named(folder):
    # Drop the "aspirasi" class from sop.toml while categories still use it.
    text = (folder / "sop.toml").read_text(encoding="utf-8")
    block = re.search(r'\[\[classes\]\]\ncode = "aspirasi"\n(?:[^\n\[]+\n)+', text)
    assert block, "sop.toml no longer defines the aspirasi class as expected"
    (folder / "sop.toml").write_text(text.replace(block.group(0), ""), encoding="utf-8")

    errors = problems(folder)

    assert any(Path(e.file).name == "categories.toml" and re.fullmatch(r"categories\[\d+\]\.default_class", e.key)
               and e.problem == "class 'aspirasi' is not defined" for e in errors), [str(e) for e in errors]


def test_every_problem_is_reported_at_once(folder):
    (folder / "calendar.toml").unlink()
    with (folder / "units.toml").open("a", encoding="utf-8") as f:
        f.write("\n[colours]\nprimary = 'red'\n")

    errors = problems(folder)

    find(errors, "calendar.toml", "-")
    find(errors, "units.toml", "colours")


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(SopInvalid) as excinfo:
        load_sop(tmp_path / "nowhere")
    assert excinfo.value.errors[0].problem == "folder not found"


def test_an_error_reads_as_file_key_problem():
    assert str(SopError("sop.toml", "sop.timezone", "unknown time zone")) == "sop.toml: sop.timezone: unknown time zone"
