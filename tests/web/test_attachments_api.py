"""Attachments over HTTP: staff and reporters upload, list and download; outsiders and bad files are refused."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import VERIFY
from tests.services.test_attachments import GPS_IFD, docx, jpeg_with_gps, pdf
from tests.web.conftest import error_of
from workflow.db import db
from workflow.models import Attachment


@pytest.fixture
def filed(api, staff) -> dict:
    """Return a complaint filed on the web form and verified to PUPRKP, with its PIN."""
    complaint = api.file()
    response = api.call("POST", f"/complaints/{complaint['id']}/actions/verify", staff["admin"], json=VERIFY)
    assert response.status_code == 200, response.get_json()
    return complaint





def stored() -> int:
    return db.session.scalar(select(func.count(Attachment.id)))


def files_in(app) -> list:
    from pathlib import Path

    folder = Path(app.config["ATTACHMENT_DIR"])
    return list(folder.iterdir()) if folder.exists() else []


def test_staff_attach_a_photo_and_everyone_downloads_it_without_gps(api, filed, staff):
    response = api.upload(f"/complaints/{filed['id']}/attachments", "jalan.jpg", jpeg_with_gps(), staff["pupr"])
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert (item["name"], item["content_type"], item["public_safe"], item["uploaded_by_role"]) == (
        "jalan.jpg", "image/jpeg", True, "unit_admin")
    assert item["href"] == f"/api/v1/attachments/{item['id']}"

    listed = api.call("GET", f"/complaints/{filed['id']}/attachments", staff["admin"]).get_json()["items"]
    assert [i["id"] for i in listed] == [item["id"]]
    download = api.call("GET", item["href"], staff["admin"])
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "jalan.jpg" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]
    with Image.open(io.BytesIO(download.data)) as photo:
        assert not photo.getexif().get_ifd(GPS_IFD) and not photo.getexif()
    assert b"Pixel 7" not in download.data


def test_the_reporter_attaches_lists_and_downloads_with_code_and_pin(api, filed, staff):
    code, pin = filed["tracking_code"], {"X-Tracking-Pin": filed["pin"]}
    response = api.upload(f"/track/{code}/attachments", "bukti.pdf", pdf(), headers=pin)
    assert response.status_code == 201, response.get_json()
    item = response.get_json()
    assert (item["content_type"], item["uploaded_by_role"]) == ("application/pdf", "reporter")
    assert item["href"] == f"/api/v1/track/{code}/attachments/{item['id']}"

    listed = api.call("GET", f"/track/{code}/attachments", headers=pin).get_json()["items"]
    assert [(i["name"], i["href"]) for i in listed] == [("bukti.pdf", item["href"])]
    download = api.call("GET", item["href"], headers=pin)
    assert (download.status_code, download.data) == (200, pdf())
    assert download.headers["Content-Type"] == "application/pdf"
    # The unit holding the complaint sees what the reporter sent.
    assert api.call("GET", f"/attachments/{item['id']}", staff["pupr"]).status_code == 200


def test_a_wrong_pin_or_no_token_opens_nothing(api, filed, staff):
    code = filed["tracking_code"]
    attached = api.upload(f"/complaints/{filed['id']}/attachments", "foto.jpg", jpeg_with_gps(), staff["admin"])
    wrong = {"X-Tracking-Pin": "000000" if filed["pin"] != "000000" else "111111"}
    error_of(api.call("GET", f"/track/{code}/attachments", headers=wrong), 401, "authentication_required")
    error_of(api.call("GET", f"/track/{code}/attachments/{attached.get_json()['id']}", headers=wrong), 401,
             "authentication_required")
    error_of(api.upload(f"/track/{code}/attachments", "foto.jpg", jpeg_with_gps(), headers=wrong), 401,
             "authentication_required")
    error_of(api.call("GET", f"/attachments/{attached.get_json()['id']}"), 401, "authentication_required")
    error_of(api.upload(f"/complaints/{filed['id']}/attachments", "foto.jpg", jpeg_with_gps()), 401,
             "authentication_required")
    assert stored() == 1


def test_another_units_staff_and_another_reporter_get_not_found(api, filed, staff):
    attached = api.upload(f"/complaints/{filed['id']}/attachments", "foto.jpg", jpeg_with_gps(), staff["pupr"])
    attachment_id = attached.get_json()["id"]
    error_of(api.call("GET", f"/attachments/{attachment_id}", staff["pdam"]), 404, "not_found")
    error_of(api.call("GET", f"/complaints/{filed['id']}/attachments", staff["pdam"]), 404, "not_found")
    error_of(api.upload(f"/complaints/{filed['id']}/attachments", "foto.jpg", jpeg_with_gps(), staff["pdam"]),
             404, "not_found")
    other = api.file()
    error_of(api.call("GET", f"/track/{other['tracking_code']}/attachments/{attachment_id}",
                      headers={"X-Tracking-Pin": other["pin"]}), 404, "not_found")
    assert api.call("GET", f"/track/{other['tracking_code']}/attachments",
                    headers={"X-Tracking-Pin": other["pin"]}).get_json() == {"items": []}
    assert stored() == 1


def test_a_disguised_program_is_refused_naming_the_file_and_nothing_is_stored(api, app, filed, staff):
    program = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(500)
    details = error_of(api.upload(f"/complaints/{filed['id']}/attachments", "foto_jalan.jpg", program,
                                  staff["admin"]), 422, "invalid_input")
    assert "foto_jalan.jpg" in details["file"] and "Windows" in details["file"]
    assert stored() == 0 and files_in(app) == []


def test_an_oversized_upload_is_refused_whatever_its_size_and_nothing_is_stored(api, app, filed, staff):
    app.config["ATTACHMENT_MAX_BYTES"] = 2000
    path = f"/complaints/{filed['id']}/attachments"
    # Just over the limit: read and measured by the service.
    details = error_of(api.upload(path, "scan.pdf", pdf() + b"%" * 2000, staff["admin"]), 422, "invalid_input")
    assert "scan.pdf" in details["file"] and "(2000 bytes)" in details["file"]
    # Far over the limit: the request itself is cut off before it is spooled.
    details = error_of(api.upload(path, "video.pdf", pdf() + b"%" * 500_000, staff["admin"]), 422, "invalid_input")
    assert "(2000 bytes)" in details["file"]
    assert stored() == 0 and files_in(app) == []


def test_an_upload_without_the_file_field_is_refused(api, filed, staff):
    path = f"/complaints/{filed['id']}/attachments"
    details = error_of(api.call("POST", path, staff["admin"], data={"berkas": (io.BytesIO(pdf()), "a.pdf")},
                                content_type="multipart/form-data"), 422, "invalid_input")
    assert "file" in details
    error_of(api.call("POST", path, staff["admin"], json={"file": "bukan berkas"}), 422, "invalid_input")
    assert stored() == 0


def test_the_count_limit_answers_with_the_field_and_the_limit(api, app, filed, staff):
    app.config["ATTACHMENT_MAX_COUNT"] = 1
    path = f"/complaints/{filed['id']}/attachments"
    assert api.upload(path, "satu.pdf", pdf(), staff["admin"]).status_code == 201
    details = error_of(api.upload(path, "dua.pdf", pdf(), staff["admin"]), 422, "invalid_input")
    assert "maksimal 1" in details["file"]
    assert stored() == 1 and len(files_in(app)) == 1


def test_a_unit_never_learns_an_anonymous_reporters_document_or_file_names(api, staff):
    complaint = api.file()
    pin = {"X-Tracking-Pin": complaint["pin"]}
    code = complaint["tracking_code"]
    assert api.upload(f"/track/{code}/attachments", "Surat I Komang Sutama.docx", docx(), headers=pin
                      ).status_code == 201
    photo = api.upload(f"/track/{code}/attachments", "depan_rumah_komang.jpg", jpeg_with_gps(), headers=pin)
    response = api.call("POST", f"/complaints/{complaint['id']}/actions/verify", staff["admin"],
                        json=VERIFY | {"anonymous": True})
    assert response.status_code == 200, response.get_json()

    unit_view = api.call("GET", f"/complaints/{complaint['id']}/attachments", staff["pupr"])
    assert [i["name"] for i in unit_view.get_json()["items"]] == [f"lampiran-{photo.get_json()['id']}.jpg"]
    assert "Komang" not in unit_view.get_data(as_text=True)
    detail = api.call("GET", f"/complaints/{complaint['id']}", staff["pupr"])
    assert "Komang" not in detail.get_data(as_text=True)  # nor in the audit trail's attach events
    admin_view = api.call("GET", f"/complaints/{complaint['id']}/attachments", staff["admin"]).get_json()
    assert [i["name"] for i in admin_view["items"]] == ["Surat I Komang Sutama.docx", "depan_rumah_komang.jpg"]
