"""Attachments: the type comes from the content, photos lose their GPS, limits hold, refusals store nothing."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound
from workflow.domain.rules import Actor
from workflow.models import Attachment, ComplaintEvent
from workflow.services.attachments import attach, list_attachments, open_attachment

GPS_IFD, MAKE, MODEL, ORIENTATION = 0x8825, 0x010F, 0x0110, 0x0112
# Semarapura, Klungkung: where the (made-up) reporter lives.
HOME = {1: "S", 2: (8.0, 32.0, 10.0), 3: "E", 4: (115.0, 24.0, 20.0)}
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


# --- tiny real files ------------------------------------------------------------------------------


def phone_exif(orientation: int | None = None) -> Image.Exif:
    """Return EXIF as a phone writes it: make, model and the GPS position of the reporter's home."""
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "Google", "Pixel 7 milik Komang"
    exif[GPS_IFD] = HOME
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def jpeg_with_gps(size=(64, 48), orientation: int | None = None) -> bytes:
    """Return a real JPEG whose EXIF names the phone and the place it was taken."""
    data = image("JPEG", size=size, exif=phone_exif(orientation), quality=85)
    with Image.open(io.BytesIO(data)) as photo:
        assert photo.getexif().get_ifd(GPS_IFD)  # the fixture really carries GPS
    return data


def image(fmt: str, mode: str = "RGB", size=(16, 16), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "teal").save(out, fmt, **options)
    return out.getvalue()


def pdf() -> bytes:
    """Return a minimal, valid one-page PDF."""
    return (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
            b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
            b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n"
            b"trailer <</Root 1 0 R>>\n%%EOF\n")


def ooxml(main_type: str, part: str, extra: dict[str, bytes] | None = None) -> bytes:
    """Return a minimal OOXML package (DOCX/XLSX) declaring ``main_type`` for ``part``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>'))
        package.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/officeDocument" Target="{part}"/></Relationships>'))
        package.writestr(part, "<document>Surat pengaduan</document>")
        for name, content in (extra or {}).items():
            package.writestr(name, content)
    return out.getvalue()


def docx() -> bytes:
    return ooxml(DOCX_MAIN, "word/document.xml")


def xlsx() -> bytes:
    return ooxml(XLSX_MAIN, "xl/workbook.xml")


def opendocument(mimetype: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        package.writestr("content.xml", "<office:document-content/>")
        package.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("foto.jpg", b"\xff\xd8\xff")
    return out.getvalue()


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def folder(app, tmp_path) -> Path:
    """Point the attachment store at a fresh folder and return it."""
    path = tmp_path / "attachments"
    app.config["ATTACHMENT_DIR"] = str(path)
    return path


@pytest.fixture
def complaint(file):
    """Return a freshly filed complaint (state received)."""
    return file().complaint


def reporter(complaint) -> Actor:
    return Actor.reporter(complaint.id)


def upload(complaint, actor: Actor, name: str, data: bytes) -> Attachment:
    """Attach ``data`` as ``name`` and commit, as the edge does."""
    attachment = attach(complaint.id, actor, T0, name, io.BytesIO(data))
    db.session.commit()
    return attachment


def stored_files(folder: Path) -> list[Path]:
    """Return every file in the store, temporary ones included."""
    return sorted(folder.rglob("*")) if folder.exists() else []


def rows() -> int:
    return db.session.scalar(select(func.count(Attachment.id)))


def refused(complaint, actor: Actor, name: str, data: bytes, folder: Path) -> dict:
    """Assert ``data`` is refused with nothing stored; return the error's details."""
    with pytest.raises(InvalidInput) as error:
        attach(complaint.id, actor, T0, name, io.BytesIO(data))
    db.session.rollback()
    assert name in error.value.message
    assert rows() == 0
    assert stored_files(folder) == []
    return error.value.details


# --- photos lose their metadata -------------------------------------------------------------------


def test_a_photo_is_stored_without_gps_or_device_and_named_by_its_hash(complaint, folder):
    original = jpeg_with_gps()
    attachment = upload(complaint, reporter(complaint), "IMG_2041.jpg", original)

    opened = open_attachment(attachment.id, reporter(complaint))
    stored = opened.path.read_bytes()
    assert opened.path.parent == folder and opened.path.name == attachment.stored_name
    assert "IMG_2041" not in attachment.stored_name and len(attachment.stored_name) == 32
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest() and attachment.size == len(stored)
    with Image.open(io.BytesIO(stored)) as photo:
        assert (photo.format, photo.size) == ("JPEG", (64, 48))
        assert not photo.getexif() and not photo.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in stored and b"Pixel 7" not in stored
    assert (attachment.content_type, attachment.public_safe, opened.download_name) == ("image/jpeg", True,
                                                                                         "IMG_2041.jpg")


def test_a_photo_taken_sideways_is_stored_upright(complaint, folder):
    # EXIF orientation 6: the camera held the picture on its side; the stripped copy must still look right.
    attachment = upload(complaint, reporter(complaint), "miring.jpg", jpeg_with_gps((40, 20), orientation=6))
    with Image.open(open_attachment(attachment.id, reporter(complaint)).path) as photo:
        assert photo.size == (20, 40)
        assert ORIENTATION not in photo.getexif()


@pytest.mark.parametrize(("name", "data", "content_type", "public_safe"), [
    ("denah.png", image("PNG", "P", transparency=0, exif=phone_exif()), "image/png", True),
    ("foto.webp", image("WEBP", exif=phone_exif()), "image/webp", True),
    ("surat.pdf", pdf(), "application/pdf", False),
    ("kronologi.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
    ("rincian.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    ("surat.odt", opendocument("application/vnd.oasis.opendocument.text"),
     "application/vnd.oasis.opendocument.text", False),
    ("tabel.ods", opendocument("application/vnd.oasis.opendocument.spreadsheet"),
     "application/vnd.oasis.opendocument.spreadsheet", False),
], ids=["png", "webp", "pdf", "docx", "xlsx", "odt", "ods"])
def test_each_accepted_type_is_recognised_by_its_content(complaint, folder, name, data, content_type, public_safe):
    attachment = upload(complaint, reporter(complaint), name, data)
    assert (attachment.content_type, attachment.public_safe) == (content_type, public_safe)
    stored = open_attachment(attachment.id, reporter(complaint)).path.read_bytes()
    if public_safe:
        assert b"Pixel 7" in data and b"Pixel 7" not in stored
        with Image.open(io.BytesIO(stored)) as picture:
            assert not picture.getexif()
    else:
        assert stored == data  # documents are kept exactly as sent


def test_a_png_sent_with_a_jpg_name_is_served_under_its_true_type(complaint, folder):
    attachment = upload(complaint, reporter(complaint), "tangkapan.jpg", image("PNG"))
    assert attachment.content_type == "image/png"
    assert open_attachment(attachment.id, reporter(complaint)).download_name == "tangkapan.png"


def test_the_attachment_is_audited_without_its_file_name(complaint, folder, staff):
    attachment = upload(complaint, staff["admin"].actor, "KTP Komang Sutama.pdf", pdf())
    event = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=complaint.id, action="attach"))
    assert (event.actor_role, event.details["attachment_id"], event.details["sha256"]) == (
        "admin_instansi", attachment.id, attachment.sha256)
    assert "Komang" not in str(event.details)
    assert attachment.original_name == "KTP Komang Sutama.pdf"


def test_a_client_path_in_the_file_name_is_dropped(complaint, folder):
    attachment = upload(complaint, reporter(complaint), "C:\\fakepath\\foto jalan.jpg", jpeg_with_gps())
    assert attachment.original_name == "foto jalan.jpg"


# --- refusals store nothing -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "said"), [
    ("foto.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200), "program Windows"),
    ("foto.jpg", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", "HTML"),
    ("peta.png", b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "HTML/SVG/XML"),
    ("surat.pdf", docx(), "isinya DOCX, bukan PDF"),
    ("foto.jpg", pdf(), "isinya PDF, bukan JPEG"),
    ("laporan.docx", plain_zip(), "bukan dokumen Office"),
    ("laporan.docx", ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml",
                           {"word/vbaProject.bin": b"\x00"}), "bermakro"),
    ("laporan.docx", b"PK\x03\x04" + bytes(100), "ZIP yang rusak"),
    ("animasi.gif", b"GIF89a" + bytes(40), "GIF"),
    ("IMG_0001.jpg", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(40), "HEIC"),
    ("lama.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Office lama"),
    ("catatan.txt", b"Jalan rusak di Gelgel", "tidak dikenal"),
    ("rusak.jpg", jpeg_with_gps()[:300], "rusak atau tidak lengkap"),
], ids=["exe-as-jpg", "html-as-jpg", "svg-as-png", "docx-as-pdf", "pdf-as-jpg", "plain-zip-as-docx",
        "docm-as-docx", "broken-zip", "gif", "heic", "old-doc", "text", "truncated-jpeg"])
def test_disguised_or_unaccepted_files_are_refused_naming_the_file(complaint, folder, name, data, said):
    details = refused(complaint, reporter(complaint), name, data, folder)
    assert name in details["file"] and said in details["file"]
    assert "accepted: JPEG, PNG, WebP, PDF, DOCX, XLSX, ODT, ODS" in details["file"]


def test_an_empty_file_is_refused(complaint, folder):
    assert "kosong" in refused(complaint, reporter(complaint), "kosong.pdf", b"", folder)["file"]


def test_a_file_over_the_size_limit_is_refused_and_one_at_the_limit_accepted(app, complaint, folder):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    at_limit = pdf() + b"%" * (1000 - len(pdf()))
    details = refused(complaint, reporter(complaint), "besar.pdf", at_limit + b"%", folder)
    assert "larger than" in details["file"] and "(1000 bytes)" in details["file"]
    assert upload(complaint, reporter(complaint), "pas.pdf", at_limit).size == 1000


def test_no_more_than_the_configured_number_of_attachments(app, complaint, folder, staff):
    app.config["ATTACHMENT_MAX_COUNT"] = 2
    upload(complaint, reporter(complaint), "satu.pdf", pdf())
    upload(complaint, staff["admin"].actor, "dua.pdf", pdf())
    with pytest.raises(InvalidInput) as error:
        attach(complaint.id, reporter(complaint), T0, "tiga.pdf", io.BytesIO(pdf()))
    db.session.rollback()
    assert "maksimal 2" in error.value.details["file"]
    assert rows() == 2 and len(stored_files(folder)) == 2


def test_a_finished_complaint_takes_no_more_attachments(complaint, folder, act, staff):
    act(complaint.id, "archive", staff["admin"].actor, reason="spam", comment="Iklan.")
    with pytest.raises(InvalidTransition):
        attach(complaint.id, staff["admin"].actor, T0, "foto.jpg", io.BytesIO(jpeg_with_gps()))
    db.session.rollback()
    assert rows() == 0 and stored_files(folder) == []


# --- the file lives and dies with its transaction -------------------------------------------------


def test_a_rolled_back_upload_leaves_no_file(complaint, folder):
    attach(complaint.id, reporter(complaint), T0, "foto.jpg", io.BytesIO(jpeg_with_gps()))
    assert len(stored_files(folder)) == 1  # written before the commit, so a committed row never lacks its file
    db.session.rollback()
    assert rows() == 0 and stored_files(folder) == []


def test_a_released_savepoint_does_not_make_the_file_permanent(complaint, folder):
    with db.session.begin_nested():
        attach(complaint.id, reporter(complaint), T0, "foto.jpg", io.BytesIO(jpeg_with_gps()))
    db.session.rollback()
    assert rows() == 0 and stored_files(folder) == []


def test_a_committed_upload_keeps_its_file(complaint, folder):
    attachment = upload(complaint, reporter(complaint), "foto.jpg", jpeg_with_gps())
    db.session.rollback()  # a later, unrelated rollback
    assert stored_files(folder) == [folder / attachment.stored_name]


# --- who may open what ----------------------------------------------------------------------------


def test_only_those_who_may_see_the_complaint_open_its_attachments(complaint, folder, act, staff, file):
    attachment = upload(complaint, reporter(complaint), "foto.jpg", jpeg_with_gps())
    act(complaint.id, "verify", staff["admin"].actor, **VERIFY)  # held by PUPRKP from now on
    assert open_attachment(attachment.id, staff["pupr"].actor).attachment.id == attachment.id
    assert open_attachment(attachment.id, staff["coordinator"].actor).attachment.id == attachment.id
    other = file().complaint
    for outsider in (staff["pdam"].actor, staff["facilitator"].actor, reporter(other)):
        with pytest.raises(NotFound):
            open_attachment(attachment.id, outsider)
        with pytest.raises(NotFound):
            list_attachments(complaint.id, outsider)
        with pytest.raises(NotFound):
            attach(complaint.id, outsider, T0, "foto.jpg", io.BytesIO(jpeg_with_gps()))
        db.session.rollback()
    with pytest.raises(NotFound):
        open_attachment(attachment.id + 1000, staff["admin"].actor)
    assert rows() == 1


def test_an_anonymous_reporters_documents_and_file_names_stay_with_the_administrator(complaint, folder, act,
                                                                                      staff):
    document = upload(complaint, reporter(complaint), "Surat Komang Sutama.docx", docx())
    photo = upload(complaint, reporter(complaint), "rumah_komang.jpg", jpeg_with_gps())
    act(complaint.id, "verify", staff["admin"].actor, **(VERIFY | {"anonymous": True}))

    unit = staff["pupr"].actor
    assert [(a["id"], a["name"]) for a in list_attachments(complaint.id, unit)] == [
        (photo.id, f"lampiran-{photo.id}.jpg")]
    assert open_attachment(photo.id, unit).download_name == f"lampiran-{photo.id}.jpg"
    with pytest.raises(NotFound):
        open_attachment(document.id, unit)
    for insider in (staff["admin"].actor, reporter(complaint)):
        assert [a["name"] for a in list_attachments(complaint.id, insider)] == ["Surat Komang Sutama.docx",
                                                                                "rumah_komang.jpg"]
        assert open_attachment(document.id, insider).download_name == "Surat Komang Sutama.docx"


def test_a_listing_shows_the_uploaders_role_never_their_name(complaint, folder, staff):
    upload(complaint, staff["admin"].actor, "berita-acara.pdf", pdf())
    [item] = list_attachments(complaint.id, reporter(complaint))
    assert item["uploaded_by_role"] == "admin_instansi" and item["uploaded_at"] == "2026-03-17T10:00:00+08:00"
    assert "admin" not in {str(v) for k, v in item.items() if k != "uploaded_by_role"}
