"""Attachment endpoints: staff upload, list and download; the reporter does the same under /track/{code}."""

from flask import current_app, jsonify, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from web import tracking_rate
from web.api import bp
from web.api.auth import reporter, staff
from web.clock import now
from web.transaction import commits
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.models import Attachment
from workflow.services import attachments

# Room for the multipart framing (boundary, part headers) around the largest file accepted.
MULTIPART_OVERHEAD = 64 * 1024


@bp.post("/complaints/<int:complaint_id>/attachments")
@commits
def upload_attachment(complaint_id: int):
    """Attach a photo or document to a complaint (multipart/form-data, field ``file``)."""
    actor = staff()
    filename, stream = _uploaded_file()
    attachment = attachments.attach(complaint_id, actor, now(), filename, stream)
    return jsonify(_staff_view(attachment, actor)), 201


@bp.get("/complaints/<int:complaint_id>/attachments")
def list_attachments(complaint_id: int):
    """List the attachments of a complaint the caller may open."""
    items = attachments.list_attachments(complaint_id, staff())
    return jsonify({"items": [item | {"href": url_for(".download_attachment", attachment_id=item["id"])}
                              for item in items]})


@bp.get("/attachments/<int:attachment_id>")
def download_attachment(attachment_id: int):
    """Download an attachment of a complaint the caller may see."""
    return _send(attachments.open_attachment(attachment_id, staff()))


@bp.post("/track/<tracking_code>/attachments")
@tracking_rate
@commits
def track_upload_attachment(tracking_code: str):
    """Let a reporter attach a photo or document to their complaint."""
    actor, complaint = reporter(tracking_code)
    filename, stream = _uploaded_file()
    attachment = attachments.attach(complaint.id, actor, now(), filename, stream)
    return jsonify(_reporter_item(attachments.attachment_view(attachment, complaint, actor), complaint)), 201


@bp.get("/track/<tracking_code>/attachments")
@tracking_rate
def track_list_attachments(tracking_code: str):
    """List the attachments of the reporter's complaint."""
    actor, complaint = reporter(tracking_code)
    items = attachments.list_attachments(complaint.id, actor)
    return jsonify({"items": [_reporter_item(item, complaint) for item in items]})


@bp.get("/track/<tracking_code>/attachments/<int:attachment_id>")
@tracking_rate
def track_download_attachment(tracking_code: str, attachment_id: int):
    """Download an attachment of the reporter's complaint."""
    actor, _ = reporter(tracking_code)
    return _send(attachments.open_attachment(attachment_id, actor))


def _uploaded_file():
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    # Stop reading a body far over the limit instead of spooling all of it to disk first.
    request.max_content_length = limit + MULTIPART_OVERHEAD
    try:
        files = request.files.getlist("file")
    except RequestEntityTooLarge:
        raise attachments.too_large(None, limit) from None
    if len(files) != 1:
        raise InvalidInput("Kirim tepat satu berkas di kolom 'file' (multipart/form-data). / Send exactly one file "
                           "in the field 'file' (multipart/form-data).",
                           {"file": "wajib, satu berkas / required, one file"})
    return files[0].filename, files[0].stream


def _staff_view(attachment: Attachment, actor: Actor) -> dict:
    view = attachments.attachment_view(attachment, attachment.complaint, actor)
    return view | {"href": url_for(".download_attachment", attachment_id=attachment.id)}


def _reporter_item(item: dict, complaint) -> dict:
    return item | {"href": url_for(".track_download_attachment", tracking_code=complaint.tracking_code,
                                   attachment_id=item["id"])}


def _send(opened: attachments.OpenedAttachment):
    response = send_file(opened.path, mimetype=opened.content_type, as_attachment=True,
                         download_name=opened.download_name, etag=opened.attachment.sha256)
    # Never rendered by the browser as a page, never guessed into another type, never kept in a shared cache.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
