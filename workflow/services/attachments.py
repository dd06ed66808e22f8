"""Attachments: photos and documents on a complaint, checked by content, stored outside the web root.

- The type comes from the content, never from the name: the first bytes must be JPEG, PNG, WebP or
  PDF, or a ZIP whose inner structure is a Word/Excel (OOXML) or OpenDocument text/spreadsheet file.
  Anything else, and anything whose name claims another type (an ``.exe`` or an HTML page renamed
  ``.jpg``), is refused with the file's name and what its content really is.
- Images are decoded and re-encoded with Pillow before they are stored, and only that copy is kept:
  no EXIF, XMP or comments survive (GPS position, device, owner), and the picture is turned upright
  first because its orientation lived in the EXIF. The original is not kept, not even for the
  administrator: a photo's GPS can lead to an anonymous reporter's home, and a file that does not
  exist cannot leak. The complaint's own location fields say where the problem is.
- Documents are stored as sent. Their metadata can name the author, so they are never
  ``public_safe``; on an anonymous complaint only the administrator, the reporter and whoever
  uploaded it may open a document or see any file's real name.
- The file is written (under a temporary name, synced, then renamed to a random name) before its row
  is flushed, and deleted again if the transaction ends without a commit. A row therefore never
  points at a missing file; only a crash between the write and the commit can leave a file no row
  names, which is harmless and found by comparing the folder with the table.
"""

import hashlib
import io
import os
import secrets
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound
from workflow.domain.rules import Actor, can_see, can_see_identity, is_final
from workflow.domain.states import Role, State
from workflow.models import Attachment, Complaint, ComplaintEvent
from workflow.services.actions import load_complaint, situation_of
from workflow.services.queries import local, zone_of

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
# Each accepted type, its name for people and its file extensions (the first is used when naming downloads).
TYPES = {
    JPEG: ("JPEG", (".jpg", ".jpeg", ".jpe")), PNG: ("PNG", (".png",)), WEBP: ("WebP", (".webp",)),
    PDF: ("PDF", (".pdf",)), DOCX: ("DOCX", (".docx",)), XLSX: ("XLSX", (".xlsx",)),
    ODT: ("ODT", (".odt",)), ODS: ("ODS", (".ods",)),
}
ACCEPTED = "JPEG, PNG, WebP, PDF, DOCX, XLSX, ODT, ODS"
IMAGE_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
# The main part an OOXML package declares in [Content_Types].xml says what the package is.
OOXML_MAIN_PARTS = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
ODF_MIMETYPES = {ODT.encode(): ODT, ODS.encode(): ODS}
# A small document never unpacks to more than this; a "zip bomb" does.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
# What refused content most often is, so the refusal can say it (Indonesian, English).
REFUSED_SIGNATURES = (
    (b"MZ", ("program Windows (.exe/.dll)", "a Windows program (.exe/.dll)")),
    (b"\x7fELF", ("program Linux", "a Linux program")),
    (b"#!", ("skrip", "a script")),
    (b"GIF8", ("gambar GIF", "a GIF image")),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ("dokumen Office lama (.doc/.xls) atau berkas Office berkata sandi",
                                          "an old-style (.doc/.xls) or password-protected Office file")),
    (b"Rar!", ("arsip RAR", "a RAR archive")),
    (b"7z\xbc\xaf\x27\x1c", ("arsip 7z", "a 7z archive")),
    (b"\x1f\x8b", ("arsip gzip", "a gzip archive")),
)
MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<svg", b"<?xml")
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc", b"avif")
_WRITTEN = "aduflow.attachment_files"


@dataclass(frozen=True)
class OpenedAttachment:
    """An attachment the actor may download: where its bytes are, its type and the name to give it."""

    attachment: Attachment
    path: Path
    content_type: str
    download_name: str


def attach(complaint_id: int, actor: Actor, now: datetime, filename: str | None, stream: BinaryIO) -> Attachment:
    """Check a file by its content, strip an image's metadata, store it and record an ``attach`` event."""
    complaint = _visible_complaint(complaint_id, actor)
    name = _clean_name(filename)
    if is_final(State(complaint.state)):
        raise InvalidTransition(
            f"Pengaduan sudah berstatus '{State(complaint.state).label}'; lampiran tidak dapat ditambahkan. / "
            f"The complaint is {complaint.state}; no more attachments can be added.",
            {"state": complaint.state})
    # Concurrent uploads to one complaint queue here (PostgreSQL), so the count limit holds.
    db.session.execute(select(Complaint.id).where(Complaint.id == complaint.id).with_for_update())
    limit = current_app.config["ATTACHMENT_MAX_COUNT"]
    count = db.session.scalar(select(func.count(Attachment.id)).where(Attachment.complaint_id == complaint.id))
    if count >= limit:
        raise InvalidInput(
            f"Pengaduan ini sudah punya {count} lampiran; batasnya {limit}. / This complaint already has {count} "
            f"attachments; the limit is {limit}.",
            {"file": f"maksimal {limit} lampiran per pengaduan / at most {limit} attachments per complaint"})
    data = _read(stream, name)
    content_type = _content_type(data, name)
    if content_type in IMAGE_FORMATS:
        data = _without_metadata(data, content_type, name)
    stored_name = _store(data)
    attachment = Attachment(
        complaint_id=complaint.id, stored_name=stored_name, sha256=hashlib.sha256(data).hexdigest(),
        original_name=name, content_type=content_type, size=len(data),
        public_safe=content_type in IMAGE_FORMATS, uploaded_at=now,
        uploaded_by_id=actor.user_id, uploaded_by_role=actor.role.value)
    db.session.add(attachment)
    db.session.flush()
    # The file's name stays out of the audit trail: units read it, and a name can identify the reporter.
    db.session.add(ComplaintEvent(
        complaint_id=complaint.id, at=now, actor_id=actor.user_id, actor_role=actor.role.value,
        action="attach", details={"attachment_id": attachment.id, "content_type": content_type,
                                  "size": attachment.size, "sha256": attachment.sha256,
                                  "public_safe": attachment.public_safe}))
    db.session.flush()
    return attachment


def list_attachments(complaint_id: int, actor: Actor) -> list[dict]:
    """Return the attachments of a complaint that ``actor`` may open, oldest first."""
    complaint = _visible_complaint(complaint_id, actor)
    attachments = db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                     .order_by(Attachment.id)).all()
    return [attachment_view(a, complaint, actor) for a in attachments if _content_shown(actor, complaint, a)]


def attachment_view(attachment: Attachment, complaint: Complaint, actor: Actor) -> dict:
    """Shape one attachment for ``actor``: never the uploader's name, nor a hidden reporter's file name."""
    return {"id": attachment.id, "name": _shown_name(attachment, complaint, actor),
            "content_type": attachment.content_type, "size": attachment.size, "sha256": attachment.sha256,
            "public_safe": attachment.public_safe, "uploaded_at": local(attachment.uploaded_at, zone_of(complaint)),
            "uploaded_by_role": attachment.uploaded_by_role}


def open_attachment(attachment_id: int, actor: Actor) -> OpenedAttachment:
    """Return an attachment's file for download, or raise :class:`NotFound` if ``actor`` may not see it."""
    missing = NotFound("Lampiran tidak ditemukan. / Attachment not found.", {"attachment_id": attachment_id})
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise missing
    complaint = load_complaint(attachment.complaint_id)
    # Out of reach reads as absent, so attachment ids cannot be probed.
    if not can_see(actor, situation_of(complaint)) or not _content_shown(actor, complaint, attachment):
        raise missing
    path = Path(current_app.config["ATTACHMENT_DIR"]) / attachment.stored_name
    if not path.is_file():
        current_app.logger.error("attachment %s: file %s is missing", attachment.id, path)
        raise missing
    return OpenedAttachment(attachment, path, attachment.content_type,
                            _shown_name(attachment, complaint, actor))


def _visible_complaint(complaint_id: int, actor: Actor) -> Complaint:
    complaint = load_complaint(complaint_id)
    if not can_see(actor, situation_of(complaint)):
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    return complaint


def _content_shown(actor: Actor, complaint: Complaint, attachment: Attachment) -> bool:
    # For an actor who may see the complaint: a document of an anonymous reporter may name them.
    return attachment.public_safe or _may_know_reporter(actor, complaint, attachment)


def _may_know_reporter(actor: Actor, complaint: Complaint, attachment: Attachment) -> bool:
    uploader = attachment.uploaded_by_id is not None and attachment.uploaded_by_id == actor.user_id
    return not complaint.anonymous or can_see_identity(actor) or actor.role is Role.reporter or uploader


def _shown_name(attachment: Attachment, complaint: Complaint, actor: Actor) -> str:
    extension = TYPES[attachment.content_type][1][0]
    if not _may_know_reporter(actor, complaint, attachment):
        return f"lampiran-{attachment.id}{extension}"
    name = attachment.original_name
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in TYPES[attachment.content_type][1]:
        return name
    # A name that claims another accepted type is corrected; any other name gains the true extension.
    known = {e for _, extensions in TYPES.values() for e in extensions}
    return (stem if dot and stem and f".{suffix.lower()}" in known else name) + extension


def _clean_name(filename: str | None) -> str:
    # Browsers may send a full client path ("C:\\fakepath\\foto.jpg"); keep the last part, printable only.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 200:
        stem, dot, suffix = name.rpartition(".")
        name = stem[:190] + dot + suffix[:9] if dot and len(suffix) < 10 else name[:200]
    return name or "lampiran"


def _read(stream: BinaryIO, name: str) -> bytes:
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(1024 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise too_large(name, limit)
    if size == 0:
        raise InvalidInput(f"Lampiran '{name}' kosong. / Attachment '{name}' is empty.",
                           {"file": f"'{name}': berkas kosong / empty file"})
    return b"".join(chunks)


def too_large(name: str | None, limit: int) -> InvalidInput:
    """Return the refusal of a file over ``limit`` bytes (the edge uses it too, for oversized requests)."""
    size = f"{limit / (1024 * 1024):g} MB"
    quoted = f" '{name}'" if name else ""
    return InvalidInput(f"Lampiran{quoted} terlalu besar; maksimal {size}. / Attachment{quoted} is too large; "
                        f"at most {size}.",
                        {"file": f"{quoted.strip() or 'berkas / file'}: lebih dari {size} / larger than {size} "
                                 f"({limit} bytes)"})


def _refuse(name: str, problem: tuple[str, str]) -> InvalidInput:
    indonesian, english = problem
    return InvalidInput(
        f"Lampiran '{name}' ditolak: {indonesian}. / Attachment '{name}' refused: {english}.",
        {"file": f"'{name}': {indonesian} / {english}; diterima / accepted: {ACCEPTED}"})


def _content_type(data: bytes, name: str) -> str:
    found = _sniff(data, name)
    claimed = next((t for t, (_, extensions) in TYPES.items()
                    if any(name.lower().endswith(e) for e in extensions)), None)
    if isinstance(found, str):
        if claimed is not None and claimed != found and not {claimed, found} <= set(IMAGE_FORMATS):
            what = TYPES[found][0]
            raise _refuse(name, (f"isinya {what}, bukan {TYPES[claimed][0]} seperti namanya",
                                 f"its content is {what}, not the {TYPES[claimed][0]} its name claims"))
        return found
    if claimed is not None:
        label = TYPES[claimed][0]
        raise _refuse(name, (f"isinya {found[0]}, bukan {label} seperti namanya",
                             f"its content is {found[1]}, not the {label} its name claims"))
    raise _refuse(name, (f"isinya {found[0]}, jenis yang tidak diterima", f"its content is {found[1]}, "
                                                                          f"which is not accepted"))


def _sniff(data: bytes, name: str) -> str | tuple[str, str]:
    """Return the accepted content type of ``data``, or what it is instead (Indonesian, English)."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data, name)
    for signature, what in REFUSED_SIGNATURES:
        if data.startswith(signature):
            return what
    if data[4:8] == b"ftyp":
        if data[8:12] in HEIF_BRANDS:
            return ("foto HEIC/AVIF; kirim sebagai JPEG", "a HEIC/AVIF photo; send it as JPEG")
        return ("video atau media (MP4/MOV)", "a video or other media (MP4/MOV)")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(MARKUP):
        return ("HTML/SVG/XML, yang dapat menjalankan skrip di peramban",
                "HTML/SVG/XML, which can run scripts in a browser")
    return ("jenis yang tidak dikenal", "of an unknown type")


def _office_type(data: bytes, name: str) -> str | tuple[str, str]:
    macros = ("dokumen bermakro", "a document with macros")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
                return ("arsip yang terlalu besar setelah dibuka", "an archive far too large once unpacked")
            names = {e.filename for e in entries}
            if any(n.lower().endswith("vbaproject.bin") or n.startswith(("Basic/", "Scripts/")) for n in names):
                return macros
            if "mimetype" in names:
                found = ODF_MIMETYPES.get(_small_entry(archive, "mimetype").strip())
                if found:
                    return found
            if "[Content_Types].xml" in names:
                declared = _small_entry(archive, "[Content_Types].xml")
                if b"macroEnabled" in declared:
                    return macros
                found = next((t for part, t in OOXML_MAIN_PARTS.items() if part in declared), None)
                if found:
                    return found
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        return ("arsip ZIP yang rusak", "a damaged ZIP archive")
    return ("arsip ZIP, bukan dokumen Office", "a ZIP archive, not an office document")


def _small_entry(archive: zipfile.ZipFile, name: str) -> bytes:
    # The entries read to tell the type are a few hundred bytes; a huge one is not a real document's.
    return archive.read(name) if archive.getinfo(name).file_size <= 1024 * 1024 else b""


def _without_metadata(data: bytes, content_type: str, name: str) -> bytes:
    """Decode an image and encode its pixels afresh, so no metadata (GPS, device) can survive."""
    image_format = IMAGE_FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            # Broken metadata only warns, and is dropped anyway. Absurd pixel counts (decompression
            # bombs) warn, then fail: refuse both.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                if getattr(image, "n_frames", 1) > 1:
                    raise _refuse(name, ("gambar bergerak tidak diterima", "animated images are not accepted"))
                image.load()
                icc_profile = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
    except InvalidInput:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _refuse(name, ("gambar terlalu besar (jumlah piksel)", "the image has far too many pixels")) from None
    except Exception:
        # Whatever a decoder says about broken or hostile bytes means the same thing to the sender.
        raise _refuse(name, (f"berkas {TYPES[content_type][0]} rusak atau tidak lengkap",
                             f"a damaged or incomplete {TYPES[content_type][0]} file")) from None
    if upright.mode in ("P", "PA"):
        upright = upright.convert("RGBA" if upright.mode == "PA" or "transparency" in upright.info else "RGB")
    # Fresh pixels carry no info dictionary, so nothing of the original's metadata can be written back.
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    options = {"icc_profile": icc_profile} if icc_profile else {}  # colours, not people or places
    if image_format in ("JPEG", "WEBP"):
        options["quality"] = 90
    out = io.BytesIO()
    clean.save(out, image_format, **options)
    return out.getvalue()


def _store(data: bytes) -> str:
    folder = Path(current_app.config["ATTACHMENT_DIR"])
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = secrets.token_hex(16)
    final = folder / stored_name
    _remove_unless_committed(final)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return stored_name


def _remove_unless_committed(path: Path) -> None:
    db.session.info.setdefault(_WRITTEN, []).append(path)


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    # Releasing a savepoint "commits" too; only the outermost commit makes the rows, and files, permanent.
    if not session.in_nested_transaction():
        session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is None:
        for path in session.info.pop(_WRITTEN, []):
            path.unlink(missing_ok=True)
