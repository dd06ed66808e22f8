"""What the public may see: published complaints, content after verification, staff notes, blanked identities."""

from datetime import timedelta

import pytest

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import NotFound
from workflow.domain.rules import Actor
from workflow.models import Complaint
from workflow.services import publication
from workflow.services.notes import add_information


def test_the_reporters_identity_is_blanked_in_every_common_form(file):
    complaint = file(reporter={"name": "I Komang Sutama", "phone": "0812-3456-7001",
                               "email": "Komang@Example.id"}).complaint
    text = ("i komang sutama, 081234567001, +6281234567001, 0812-3456-7001, 6281234567001, komang@example.id, "
            "I  Komang\nSutama, (0812) 345 67001, +62 812.3456.7001; Pak Komang sendiri")
    assert publication.redact(complaint, text) == ", ".join([publication.REDACTED] * 9) + "; Pak [disamarkan] sendiri"
    assert publication.redact(complaint, None) is None


def test_a_national_id_number_is_blanked_but_other_numbers_are_not(file):
    complaint = file(reporter={"name": "Ni Luh Sekar", "phone": "081311112222"}).complaint
    text = "NIK 5105014507900002, KK 5105 0145 0790 0003, rumah no. 12, RT 003, tahun 2024, 0361-21000"
    assert publication.redact(complaint, text) == (
        "NIK [disamarkan], KK [disamarkan], rumah no. 12, RT 003, tahun 2024, 0361-21000")


def test_a_name_word_is_blanked_as_a_word_never_inside_another(file):
    complaint = file(reporter={"name": "Wayan Sari", "phone": "081311113333"}).complaint
    assert publication.redact(complaint, "Bu Sari menunggu di Jalan Sarinande sejak pagi") == (
        "Bu [disamarkan] menunggu di Jalan Sarinande sejak pagi")


def test_content_is_shown_only_after_the_administrator_decided(file, act, staff):
    complaint = file().complaint
    assert publication.is_published(complaint) and not publication.content_shown(complaint)
    view = publication.public_complaint(complaint.tracking_code)
    assert (view["title"], view["description"], view["kecamatan"], view["desa"]) == (None, None, None, None)
    act(complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    view = publication.public_complaint(complaint.tracking_code.lower())
    assert view["title"] == "Jalan berlubang di Jalan Raya Gelgel" and view["kecamatan"] == "Klungkung"
    assert "reporter" not in str(view) and "I Komang Sutama" not in str(view)


def test_a_confidential_complaint_is_not_published_anywhere(file, act, staff):
    complaint = file(confidential=True).complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **(VERIFY | {"confidential": True}))
    assert not publication.content_shown(db.session.get(Complaint, complaint.id))
    with pytest.raises(NotFound):
        publication.public_complaint(complaint.tracking_code)
    assert publication.public_list()["total"] == 0
    assert publication.open_data_rows() == []


def test_staff_notes_leave_out_internal_events_and_the_reporters_own_words(file, act, staff):
    complaint = file().complaint
    act(complaint.id, "verify", staff["admin"].actor, T0, **(VERIFY | {"comment": "Diteruskan ke PUPR."}))
    act(complaint.id, "acknowledge", staff["pupr"].actor, T0 + timedelta(hours=1))
    act(complaint.id, "escalate", staff["penghubung_pupr"].actor, T0 + timedelta(hours=2), comment="Internal")
    add_information(complaint.id, Actor.reporter(complaint.id), T0 + timedelta(hours=3), "Rumah saya di gang 3")
    db.session.commit()
    view = publication.public_complaint(complaint.tracking_code)
    assert [note["comment"] for note in view["notes"]] == ["Diteruskan ke PUPR."]
    assert [step["action"] for step in view["steps"]] == ["file", "verify", "acknowledge"]
    events = publication.public_events([complaint.id])[complaint.id]
    assert publication.status_note(db.session.get(Complaint, complaint.id), events) == "Diteruskan ke PUPR."
