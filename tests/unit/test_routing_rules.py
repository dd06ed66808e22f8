"""Routing rules as SOP data (routing.toml) and the pure ranking of suggestions, without a database."""

import re
from pathlib import Path

import pytest

from sop import SopInvalid, load_sop
from workflow.services.routing import Case, certain_choice, locate, matches, rank, words


def replace_once(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in ``path`` with ``new``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def errors_of(folder: Path) -> list[str]:
    """Load ``folder``, expecting it to be refused, and return the errors as 'file: key: problem'."""
    with pytest.raises(SopInvalid) as excinfo:
        load_sop(folder)
    return [f"{Path(e.file).name}: {e.key}: {e.problem}" for e in excinfo.value.errors]


def case(title: str, description: str = "", category: str = "lainnya", **more) -> Case:
    return Case(title=title, description=description or title, category=category, **more)


def top(suggestions):
    return suggestions[0]


def by_target(suggestions) -> dict:
    return {s.target: s for s in suggestions}


# --- the shipped routing.toml ---------------------------------------------------------------------

def test_the_shipped_routing_knows_the_four_kecamatan_and_their_59_desa_and_kelurahan(shipped):
    routing = shipped.routing
    assert {k.name: k.unit for k in routing.kecamatan} == {
        "Banjarangkan": "KEC-BANJARANGKAN", "Klungkung": "KEC-KLUNGKUNG", "Dawan": "KEC-DAWAN",
        "Nusa Penida": "KEC-NUSAPENIDA"}
    counts = {name: sum(d.kecamatan == name for d in routing.desa) for name in ("Banjarangkan", "Klungkung",
                                                                              "Dawan", "Nusa Penida")}
    assert counts == {"Banjarangkan": 13, "Klungkung": 18, "Dawan": 12, "Nusa Penida": 16}
    assert sorted(d.name for d in routing.desa if d.kind == "kelurahan") == [
        "Semarapura Kaja", "Semarapura Kangin", "Semarapura Kauh", "Semarapura Klod", "Semarapura Klod Kangin",
        "Semarapura Tengah"]
    units = {u.code for u in shipped.units}
    assert all(p in units for k in routing.kecamatan for p in k.puskesmas)


def test_the_shipped_sop_lets_nothing_disposition_itself_by_default(shipped):
    assert shipped.sop.auto_dispose_certain is False
    assert any(rule.certain for rule in shipped.routing.keyword_rules)


def test_the_jurisdiction_table_covers_the_agencies_outside_the_regency(shipped):
    codes = {j.code for j in shipped.routing.jurisdictions}
    assert {"jalan-nasional", "jalan-provinsi", "pln", "bpjs-kesehatan", "polisi", "pertanahan", "kemenag",
            "sma-smk", "samsat", "imigrasi"} <= codes


# --- words and places -----------------------------------------------------------------------------

def test_keywords_match_whole_words_and_phrases_whatever_the_case_and_punctuation():
    text = words("E-KTP saya hilang; JALANAN licin di Jl. By-Pass Ida Bagus Mantra!")
    assert matches(text, ["e ktp", "ktp", "by pass ida bagus mantra"]) == ["e ktp", "ktp", "by pass ida bagus mantra"]
    assert matches(text, ["jalan", "pass ida", "bagus mantra jalan"]) == ["pass ida"]


@pytest.mark.parametrize(("desa", "kecamatan", "expected"), [
    ("Gelgel", None, ("Klungkung", "Gelgel")),
    ("DESA  gelgel", None, ("Klungkung", "Gelgel")),
    ("Kelurahan Semarapura-Kaja", None, ("Klungkung", "Semarapura Kaja")),
    ("Jungut Batu", None, ("Nusa Penida", "Jungutbatu")),
    ("Nusa Ceningan", None, ("Nusa Penida", "Lembongan")),
    # The desa decides when the stated kecamatan contradicts it.
    ("Kusamba", "Klungkung", ("Dawan", "Kusamba")),
    ("Banjar Antah", "Kec. Banjarangkan", ("Banjarangkan", None)),
    (None, "nusa penida", ("Nusa Penida", None)),
    ("Banjar Antah", None, (None, None)),
    (None, None, (None, None)),
])
def test_a_place_is_found_however_it_is_written(shipped, desa, kecamatan, expected):
    found, by_desa = locate(shipped, desa, kecamatan)
    assert (found.name if found else None, by_desa) == expected


# --- ranking ----------------------------------------------------------------------------------------

def test_the_category_default_unit_is_suggested_with_its_reason(shipped):
    suggestions = rank(shipped, case("Pelayanan lambat", "Antre terlalu lama.", category="perizinan"))
    best = top(suggestions)
    assert (best.target, best.action, best.name) == ("DPMPTSP", "verify",
                                                     "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu")
    assert best.confidence == 0.5
    assert best.reasons == ("Unit bawaan kategori 'Perizinan dan penanaman modal' / default unit of the category",)


def test_a_keyword_rule_outranks_a_wrong_category(shipped):
    suggestions = rank(shipped, case("Air PDAM tidak mengalir", "Sudah tiga hari air PDAM mati di rumah kami."))
    best = top(suggestions)
    assert best.target == "PDAM" and best.certain
    assert "'pdam'" in best.reason and "aturan pasti / certain rule" in best.reason
    assert by_target(suggestions)["ORG"].confidence < best.confidence


def test_signals_for_the_same_unit_add_up_as_independent_evidence(shipped):
    suggestions = rank(shipped, case("Lampu PJU mati", "Lampu PJU mati sejak minggu lalu.", category="lampu-jalan"))
    dishub = by_target(suggestions)["DISHUB"]
    # The category (0.5), the certain rule (0.95) and two of the category's own keywords, 'lampu' and 'pju'.
    expected = 1 - (1 - 0.5) * (1 - 0.95) * (1 - 0.15) ** 2
    assert dishub.confidence == round(expected, 3)
    assert len(dishub.reasons) == 3


def test_the_place_suggests_the_kecamatan_and_for_health_its_puskesmas(shipped):
    suggestions = by_target(rank(shipped, case("Pelayanan Puskesmas", "Petugas Puskesmas tidak ramah.",
                                               category="layanan-kesehatan", desa="Gelgel")))
    assert suggestions["PKM-KLK1"].confidence == suggestions["PKM-KLK2"].confidence == 0.3
    assert "salah satu dari 2" in suggestions["PKM-KLK1"].reason
    assert suggestions["KEC-KLUNGKUNG"].reasons == (
        "Lokasi di Kecamatan Klungkung (desa Gelgel) / the place lies in this kecamatan",)
    assert suggestions["DINKES"].confidence > suggestions["PKM-KLK1"].confidence


def test_a_matter_outside_the_regency_suggests_a_transfer_to_the_agency(shipped):
    suggestions = rank(shipped, case("Jalan berlubang di By Pass Ida Bagus Mantra",
                                     "Lubang besar di jalan nasional dekat Lepang.", category="jalan-rusak"))
    transfer = next(s for s in suggestions if s.action == "transfer_out")
    assert transfer.target == transfer.name
    assert transfer.target == "Balai Pelaksanaan Jalan Nasional (BPJN) Bali, Kementerian Pekerjaan Umum"
    assert "pusat / national" in transfer.reason and "'jalan nasional'" in transfer.reason
    assert "PUPRKP" in by_target(suggestions)


def test_a_power_cut_goes_to_pln_but_a_street_light_does_not(shipped):
    power = rank(shipped, case("Listrik padam", "Listrik padam sejak pagi di Banjar Kawan."))
    assert top(power).target.startswith("PT PLN") and top(power).action == "transfer_out"
    light = rank(shipped, case("Lampu PJU mati", "Lampu penerangan jalan umum padam.", category="lampu-jalan"))
    assert all(s.action != "transfer_out" for s in light)


def test_units_that_returned_the_complaint_are_never_suggested_again(shipped):
    returned = case("Jalan berlubang", "Jalan berlubang di Gelgel.", category="jalan-rusak", desa="Gelgel",
                    returned_by=frozenset({"PUPRKP"}), returned=True)
    suggestions = rank(shipped, returned)
    assert "PUPRKP" not in by_target(suggestions)
    assert {s.action for s in suggestions} == {"redispose"}
    assert top(suggestions).target == "KEC-KLUNGKUNG"


def test_the_regency_itself_and_unknown_places_are_never_suggested(shipped):
    suggestions = rank(shipped, case("Keluhan umum", "Tidak ada kata kunci apa pun di sini.", desa="Banjar Antah"))
    assert [s.target for s in suggestions] == ["ORG"]


# --- certain rules --------------------------------------------------------------------------------

def test_a_certain_rule_settles_the_unit(shipped):
    choice = certain_choice(rank(shipped, case("KTP belum jadi", "KTP-el saya belum jadi sejak tiga bulan.",
                                               category="adminduk")))
    assert choice is not None and choice.target == "DISDUKCAPIL"


@pytest.mark.parametrize(("title", "description", "category"), [
    # An outside matter also matches: the administrator decides.
    ("Lampu PJU mati", "Lampu PJU mati di jalan nasional dekat Kusamba.", "lampu-jalan"),
    # Two certain rules point to different units.
    ("Tagihan air dan KTP", "Meteran air PDAM rusak dan KTP saya belum jadi.", "lainnya"),
    # No certain rule at all.
    ("Jalan berlubang", "Jalan berlubang di Gelgel.", "jalan-rusak"),
], ids=["outside_matter", "two_certain_rules", "no_certain_rule"])
def test_a_certain_rule_does_not_settle_what_is_in_doubt(shipped, title, description, category):
    assert certain_choice(rank(shipped, case(title, description, category=category))) is None


# --- a broken routing.toml is refused, naming file, key and problem --------------------------------

def test_an_unknown_unit_in_a_keyword_rule_is_named(folder):
    replace_once(folder / "routing.toml", 'unit = "DISHUB"', 'unit = "DISHUB-X"')
    assert errors_of(folder) == ["routing.toml: routing.keyword_rules[0].unit: unknown unit 'DISHUB-X'"]


def test_the_regency_cannot_be_a_routing_target(folder):
    replace_once(folder / "routing.toml", 'unit = "PDAM"', 'unit = "KLK"')
    assert errors_of(folder) == [
        "routing.toml: routing.keyword_rules[1].unit: the regency unit itself cannot receive a disposition"]


def test_a_certain_rule_must_be_confident(folder):
    replace_once(folder / "routing.toml", "confidence = 0.95\ncertain = true", "confidence = 0.6\ncertain = true")
    assert errors_of(folder) == ["routing.toml: routing.keyword_rules[0].confidence: a certain rule needs "
                                 "confidence >= 0.9"]


def test_a_desa_in_an_unknown_kecamatan_is_named(folder):
    replace_once(folder / "routing.toml", 'name = "Aan"\nkecamatan = "Banjarangkan"',
                 'name = "Aan"\nkecamatan = "Banjar Angkan"')
    assert errors_of(folder) == ["routing.toml: routing.desa[0].kecamatan: unknown kecamatan 'Banjar Angkan' "
                                 "(define it under [[routing.kecamatan]])"]


def test_a_desa_listed_twice_is_named(folder):
    replace_once(folder / "routing.toml", 'name = "Bakas"', 'name = "desa AAN"')
    assert errors_of(folder) == ["routing.toml: routing.desa[1].name: duplicate desa or alias 'desa AAN'"]


def test_unknown_categories_and_puskesmas_are_named(folder):
    replace_once(folder / "routing.toml", 'category = "layanan-kesehatan"', 'category = "kesehatan"')
    replace_once(folder / "routing.toml", 'puskesmas = ["PKM-BJK1", "PKM-BJK2"]', 'puskesmas = ["PKM-BJK1", "PKM-X"]')
    assert errors_of(folder) == [
        "routing.toml: routing.local_units[0].category: unknown category 'kesehatan'",
        "routing.toml: routing.kecamatan[0].puskesmas[1]: unknown unit 'PKM-X'"]


def test_a_misspelt_key_and_a_wrong_level_are_named(folder):
    replace_once(folder / "routing.toml", "[[routing.keyword_rules]]\nkeywords", "[[routing.keyword_rules]]\nkeyword")
    replace_once(folder / "routing.toml", 'level = "national"', 'level = "pusat"')
    errors = errors_of(folder)
    assert "routing.toml: routing.keyword_rules[0].keyword: unknown key" in errors
    assert "routing.toml: routing.keyword_rules[0].keywords: required key is missing" in errors
    assert any(re.fullmatch(r"routing\.toml: routing\.jurisdictions\[0\]\.level: Input should be .*'national'.*", e)
               for e in errors), errors


def test_a_missing_routing_file_is_named(folder):
    (folder / "routing.toml").unlink()
    assert errors_of(folder) == ["routing.toml: -: file is missing"]


def test_the_auto_dispose_switch_lives_in_sop_toml(folder):
    replace_once(folder / "sop.toml", "auto_dispose_certain = false", "auto_dispose_certain = true")
    assert load_sop(folder).sop.auto_dispose_certain is True
    replace_once(folder / "sop.toml", "auto_dispose_certain = true", 'auto_dispose_certain = "perhaps"')
    assert any(e.startswith("sop.toml: sop.auto_dispose_certain:") for e in errors_of(folder))
