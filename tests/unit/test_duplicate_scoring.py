"""How likely one complaint repeats another: contact, place, category and words (pure, no database)."""

import pytest

from workflow.models import Complaint
from workflow.services.duplicates import MIN_SCORE, jaccard, metres_between, phone_key, score, stem, tokens


def complaint(**fields) -> Complaint:
    """Return an unsaved complaint about a pothole in Gelgel, changed by ``fields``."""
    values = {"title": "Jalan berlubang di Jalan Raya Gelgel",
              "description": "Lubang besar di depan pura, dua motor jatuh minggu ini.",
              "category_code": "jalan-rusak", "desa": "Gelgel", "reporter_phone": "081234567001",
              "reporter_email": None, "lat": None, "lng": None}
    values.update(fields)
    return Complaint(**values)


@pytest.mark.parametrize("spelling", ["081234567001", "0812-3456-7001", "+62 812 3456 7001", "6281234567001",
                                      "81234567001"])
def test_a_phone_number_is_compared_in_one_form(spelling):
    assert phone_key(spelling) == "081234567001"


def test_a_number_too_short_to_mean_anything_is_not_compared():
    assert phone_key("12-34") is None
    assert phone_key(None) is None


def test_words_are_roughly_stemmed_and_filler_words_dropped():
    assert stem("berlubang") == "lubang"
    assert stem("jalan") == "jalan"  # too short to lose a suffix
    assert tokens("Mohon dibantu, jalannya BERLUBANG di depan pura!") == {"bantu", "jalan", "lubang", "pura"}


def test_jaccard_is_the_share_of_words_in_common():
    assert jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset({"a"})) == 0.0


def test_distance_between_two_points_in_gelgel():
    # About 111 m per 0.001° of latitude.
    assert metres_between((-8.56, 115.40), (-8.561, 115.40)) == pytest.approx(111, abs=1)


def test_the_same_reporter_on_the_same_problem_is_a_likely_duplicate():
    value, reasons = score(complaint(), complaint(reporter_phone="+62 812-3456-7001",
                                                 title="Lubang di Jalan Raya Gelgel"))
    assert value >= 0.8
    assert reasons[0] == "Kontak pelapor sama (telepon / phone) / same reporter contact"
    assert "Desa sama: Gelgel / same desa" in reasons
    assert "Kategori sama: jalan-rusak / same category" in reasons
    assert any(r.startswith("Teks mirip (") for r in reasons)


def test_the_contact_itself_is_shown_only_when_asked():
    _, hidden = score(complaint(), complaint())
    _, shown = score(complaint(), complaint(), show_contact=True)
    assert "081234567001" not in " ".join(hidden)
    assert "Kontak pelapor sama (telepon / phone): 081234567001 / same reporter contact" in shown


def test_without_comparing_contacts_the_contact_counts_for_nothing():
    first, second = complaint(), complaint(title="Sampah menumpuk", description="Sampah belum diangkut.",
                                           category_code="sampah", desa="Tojan")
    assert score(first, second)[0] == 0.3
    assert score(first, second, compare_contact=False) == (0.0, [])


def test_another_problem_in_the_same_desa_is_not_a_duplicate():
    value, _ = score(complaint(), complaint(reporter_phone="081299990000", title="Lampu jalan mati",
                                            description="Lampu PJU mati di depan balai banjar.",
                                            category_code="lampu-jalan"))
    assert value < MIN_SCORE


def test_two_reports_of_the_same_spot_by_different_people_are_likely_duplicates():
    near = complaint(reporter_phone=None, reporter_email="warga@example.id", lat=-8.5601, lng=115.4001,
                     title="Lubang besar di jalan Gelgel", description="Motor jatuh karena lubang di depan pura.")
    value, reasons = score(complaint(lat=-8.56, lng=115.40), near)
    assert value >= MIN_SCORE
    assert any(r.startswith("Lokasi berdekatan (±") for r in reasons)
    assert not any(r.startswith("Kontak") for r in reasons)
