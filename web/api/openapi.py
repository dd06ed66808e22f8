"""The OpenAPI 3.1 document, built from the same input models the server validates with."""

from functools import cache

from pydantic import BaseModel

from workflow.domain.states import Action, ClockKind, State
from workflow.services.actions import ACTIONS
from workflow.services.attachments import TYPES as ATTACHMENT_TYPES
from workflow.services.inputs import NewComplaint

REF = "#/components/schemas/{model}"
ERROR = {"$ref": "#/components/responses/Error"}
# Ids in paths: whole numbers of at most nine digits (web.DatabaseId); a longer one matches no route.
ID = {"type": "integer", "minimum": 1, "maximum": 999_999_999}


def _schema(model: type[BaseModel], schemas: dict) -> dict:
    schema = model.model_json_schema(ref_template=REF, by_alias=True)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _read_models() -> dict:
    """Return the shapes of what the API answers: the read models of workflow/services (queries, notices …).

    Objects stay open (a new field breaks no client); what must never be there is closed: a reporter's event
    carries no staff name or internal detail, and the reporter's view names no reporter.
    """
    text, moment = {"type": ["string", "null"]}, {"type": ["string", "null"], "description": "ISO-8601, offset"}
    whole, flag, state = {"type": "integer"}, {"type": "boolean"}, {"type": "string", "enum": [s.value for s in State]}
    code_name = {"type": ["object", "null"], "required": ["code", "name"],
                 "properties": {"code": {"type": "string"}, "name": text}}
    event = {"at": {"type": "string"}, "action": {"type": "string"}, "from_state": text, "to_state": text,
             "actor_role": text, "comment": text}

    def shape(properties: dict, extra: dict | None = None) -> dict:
        return {"type": "object", "required": list(properties), "properties": properties} | (extra or {})

    def page(item: str, **more: dict) -> dict:
        return shape({"items": {"type": "array", "items": _ref(item)}, "page": {"type": "integer", "minimum": 1},
                      "per_page": {"type": "integer", "minimum": 1}, "total": {"type": "integer", "minimum": 0},
                      "pages": {"type": "integer", "minimum": 0}, **more})

    complaint = {"id": whole, "tracking_code": {"type": "string"}, "state": state, "state_label": {"type": "string"},
                 "title": {"type": "string"}, "description": {"type": "string"}, "channel": {"type": "string"},
                 "category": code_name, "class": code_name, "unit": code_name, "location": {"type": "object"},
                 "reporter": {"type": ["object", "null"]}, "anonymous": flag, "confidential": flag,
                 "escalation_level": {"type": "integer", "minimum": 0, "maximum": 3}, "version": whole,
                 "received_at": {"type": "string"}, "deadlines": _ref("Deadlines"),
                 "clocks": {"type": "array", "items": {"type": "object"}},
                 "events": {"type": "array", "items": shape(event)},
                 "allowed_actions": {"type": "array", "items": {"type": "string", "enum": [a.value for a in Action]}}}
    receipt = shape({key: complaint[key] for key in ("id", "tracking_code", "state", "state_label", "received_at",
                                                     "deadlines")})
    receipt["properties"] |= {"pin": {"type": "string", "pattern": "^[0-9]{6}$"},
                              "possible_duplicates": {"type": "array"}}
    return {
        "Deadlines": shape({f"{kind.value}_due": moment for kind in ClockKind}),
        "Receipt": receipt,
        "ComplaintSummary": shape({"id": whole, "tracking_code": {"type": "string"}, "title": {"type": "string"},
                                   "state": state, "category": {"type": "string"}, "class": text, "channel": text,
                                   "unit": text, "escalation_level": whole, "received_at": {"type": "string"},
                                   "next_due": moment, "overdue": flag, "version": whole}),
        "ComplaintPage": page("ComplaintSummary"),
        "Complaint": shape(complaint),
        "ReporterView": shape({key: complaint[key] for key in ("tracking_code", "state", "title", "category", "unit",
                                                               "anonymous", "confidential", "version", "received_at",
                                                               "deadlines", "allowed_actions")}
                              | {"next_step": {"type": ["object", "null"]},
                                 "events": {"type": "array", "items": shape(event, {"additionalProperties": False})}},
                              {"not": {"anyOf": [{"required": ["reporter"]}, {"required": ["description"]}]}}),
        "Attachment": shape({"id": whole, "name": {"type": "string"}, "content_type": {"type": "string"},
                             "size": {"type": "integer", "minimum": 1}, "sha256": {"type": "string"},
                             "public_safe": flag, "uploaded_at": {"type": "string"}, "uploaded_by_role": text,
                             "href": {"type": "string"}}),
        "AttachmentList": shape({"items": {"type": "array", "items": _ref("Attachment")}}),
        "Notice": shape({"id": whole, "kind": {"type": "string"}, "text": {"type": "string"},
                         "complaint": {"type": ["object", "null"]}, "created_at": {"type": "string"},
                         "read_at": moment, "read": flag}),
        "NoticePage": page("Notice", unread={"type": "integer", "minimum": 0}),
        "EscalationInbox": shape({"kind": {"type": "string", "enum": ["at_risk", "breached", "stuck", "bounced"]},
                                  "items": {"type": "array", "items": shape(
                                      {"id": whole, "tracking_code": {"type": "string"}, "title": {"type": "string"},
                                       "reason": {"type": "string"}, "working_days": whole})}}),
        "Suggestions": shape({"routing": {"type": "array"}, "duplicates": {"type": "array"}}),
    }


@cache
def document() -> dict:
    """Return the OpenAPI document (built once)."""
    schemas: dict = {}
    new_complaint = _schema(NewComplaint, schemas)
    action_bodies = {action.value: _schema(model, schemas) for action, (_, model) in ACTIONS.items()}
    obj = {"type": "object"}
    id_param = {"name": "complaint_id", "in": "path", "required": True, "schema": ID}
    code_param = {"name": "tracking_code", "in": "path", "required": True, "schema": {"type": "string"},
                  "example": "KLK-26-7K3M9Q"}
    pin_header = {"name": "X-Tracking-Pin", "in": "header", "required": True, "schema": {"type": "string"}}
    action_param = {"name": "action", "in": "path", "required": True,
                    "schema": {"type": "string", "enum": [a.value for a in Action]}}
    reporter_param = dict(action_param, schema={"type": "string", "enum": ["supply_info", "confirm", "dispute"]})
    staff_only = [{"bearer": []}]
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Aduflow API", "version": "1",
                 "description": "Complaint workflow engine for SP4N-LAPOR! (Kabupaten Klungkung). Times are "
                                "ISO-8601 with the unit's offset (WITA, +08:00); errors have one shape, "
                                "{\"error\": {\"code\", \"message\", \"details\"}}."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas | _read_models() | {"Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "object", "required": ["code", "message", "details"],
                          "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                         "details": {"type": "object"}}}}}},
            "responses": {"Error": _json({"$ref": "#/components/schemas/Error"}, "An error, in plain language")},
        },
        "paths": {
            "/complaints": {
                "post": {"summary": "File a complaint", "operationId": "fileComplaint",
                         "security": [{}, {"bearer": []}],
                         "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                         "schema": {"type": "string", "maxLength": 200}}],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": new_complaint}}},
                         "responses": {"201": _json(_ref("Receipt"), "Filed: id, tracking_code, pin, state, "
                                                                     "received_at, deadlines; possible_duplicates for "
                                                                     "staff callers"),
                                       "200": _json(_ref("Receipt"), "A replay of the first answer for this "
                                                                     "Idempotency-Key"),
                                       "401": ERROR, "422": ERROR}},
                "get": {"summary": "List complaints", "operationId": "listComplaints", "security": staff_only,
                        "parameters": [
                            {"name": "state", "in": "query", "description": "comma-separated states",
                             "schema": {"type": "string", "example": ",".join(s.value for s in list(State)[:2])}},
                            {"name": "unit", "in": "query", "schema": {"type": "string"}},
                            {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                            {"name": "q", "in": "query", "schema": {"type": "string"}},
                            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                            {"name": "per_page", "in": "query",
                             "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                        "responses": {"200": _json(_ref("ComplaintPage"), "A page: items, page, per_page, total, "
                                                                          "pages"),
                                      "401": ERROR, "422": ERROR}},
            },
            "/complaints/{complaint_id}": {
                "get": {"summary": "Show a complaint", "operationId": "showComplaint", "security": staff_only,
                        "parameters": [id_param],
                        "responses": {"200": _json(_ref("Complaint"), "The complaint with deadlines, clocks, "
                                                                      "events and allowed_actions"),
                                      "401": ERROR, "404": ERROR}},
            },
            "/complaints/{complaint_id}/actions/{action}": {
                "post": {"summary": "Take a lifecycle action", "operationId": "takeAction", "security": staff_only,
                         "parameters": [id_param, action_param],
                         "requestBody": {"content": {"application/json": {"schema": {"oneOf": list(
                             {v["$ref"]: v for v in action_bodies.values()}.values())}}},
                             "description": "Body per action: " + ", ".join(
                                 f"{a} → {b['$ref'].rsplit('/', 1)[1]}" for a, b in action_bodies.items())},
                         "responses": {"200": _json(_ref("Complaint"), "The complaint after the action"),
                                       "401": ERROR,
                                       "403": ERROR, "404": ERROR, "409": ERROR, "422": ERROR}},
            },
            "/track/{tracking_code}": {
                "get": {"summary": "Track a complaint (reporter)", "operationId": "track",
                        "parameters": [code_param, pin_header],
                        "responses": {"200": _json(_ref("ReporterView"), "The reporter's view"), "401": ERROR,
                                      "429": ERROR}},
            },
            "/track/{tracking_code}/actions/{action}": {
                "post": {"summary": "Supply information, confirm or dispute (reporter)", "operationId": "trackAction",
                         "parameters": [code_param, reporter_param, pin_header],
                         "requestBody": {"content": {"application/json": {"schema": obj}}},
                         "responses": {"200": _json(_ref("ReporterView"), "The reporter's view after the action"),
                                       "401": ERROR,
                                       "409": ERROR, "422": ERROR, "429": ERROR}},
            },
            "/complaints/{complaint_id}/suggestions": {
                "get": {"summary": "Routing and duplicate suggestions", "operationId": "suggestions",
                        "security": staff_only, "parameters": [id_param],
                        "responses": {"200": _json(_ref("Suggestions"), "routing: [{target, action (verify | "
                                                        "redispose | transfer_out), name, confidence, certain, reason, "
                                                        "reasons}] (empty once a unit holds the complaint); "
                                                        "duplicates: [{complaint, score, reasons}] (no "
                                                        "reporter identity)"),
                                      "401": ERROR, "403": ERROR, "404": ERROR}},
            },
            "/reports/routing-quality": {
                "get": {"summary": "Routing quality: dispositions never returned, per category and unit",
                        "operationId": "routingQuality", "security": staff_only,
                        "parameters": [
                            {"name": "since", "in": "query", "description": "date or moment (default: 1 January, "
                             "local time)", "schema": {"type": "string", "example": "2026-01-01"}},
                            {"name": "until", "in": "query", "description": "date or moment (default: now)",
                             "schema": {"type": "string"}}],
                        "responses": {"200": _json(obj, "since, until, total, categories[], units[]: "
                                                        "dispositions, returned, never_returned, "
                                                        "share_never_returned"),
                                      "401": ERROR, "403": ERROR, "422": ERROR}},
            },
            "/escalations/{kind}": {
                "get": {"summary": "Escalation inbox", "operationId": "escalationInbox", "security": staff_only,
                        "parameters": [{"name": "kind", "in": "path", "required": True,
                                        "schema": {"type": "string",
                                                   "enum": ["at_risk", "breached", "stuck", "bounced"]}}],
                        "responses": {"200": _json(_ref("EscalationInbox"), "kind, items: complaint, reason, "
                                                                            "working_days"),
                                      "401": ERROR, "403": ERROR, "422": ERROR}},
            },
            "/notices": {
                "get": {"summary": "The caller's in-app notices, unread first", "operationId": "listNotices",
                        "security": staff_only,
                        "parameters": [{"name": "unread", "in": "query", "schema": {"type": "boolean"}},
                                       {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                                       {"name": "per_page", "in": "query",
                                        "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                        "responses": {"200": _json(_ref("NoticePage"), "items: id, kind, text, complaint {id, "
                                                                       "tracking_code}, "
                                                        "created_at, read_at, read; page, per_page, total, pages, "
                                                        "unread"), "401": ERROR, "403": ERROR, "422": ERROR}},
            },
            "/notices/{notice_id}/read": {
                "post": {"summary": "Mark a notice read", "operationId": "readNotice", "security": staff_only,
                         "parameters": [{"name": "notice_id", "in": "path", "required": True, "schema": ID}],
                         "responses": {"200": _json(_ref("Notice"), "The notice, read"), "401": ERROR, "403": ERROR,
                                       "404": ERROR}},
            },
            "/indicators": {
                "get": {"summary": "Action-plan indicators (Perbup 4/2022 Table 3.1) and operational figures",
                        "operationId": "indicators", "security": staff_only,
                        "description": "Definitions: docs/indicators.md. Without year or period: the current year.",
                        "parameters": [
                            {"name": "year", "in": "query", "schema": {"type": "integer", "example": 2026}},
                            {"name": "period", "in": "query", "description": "a year or a semester",
                             "schema": {"type": "string", "pattern": "^\\d{4}(-[Ss]?[12])?$", "example": "2026-S1"}},
                            {"name": "breakdown", "in": "query", "schema": {"type": "string", "enum": [
                                "unit", "opd", "class", "category", "channel", "kecamatan", "gender", "disability",
                                "marginal_group"]}}],
                        "responses": {"200": _json(obj, "period, as_of, table_3_1 [{indicator, value, target, "
                                                        "progress_percent, previous}], figures, trend (per month), "
                                                        "years, breakdown {by, rows}"),
                                      "401": ERROR, "422": ERROR}},
            },
            **_attachment_paths(id_param, code_param, pin_header, obj),
            "/sop": {"get": {"summary": "The active SOP", "operationId": "sop",
                             "responses": {"200": _json(obj, "version, classes, categories, units")}}},
            "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                      "responses": {"200": _json(obj, "OpenAPI 3.1")}}},
        },
    }
    # The server reads an empty query value as no value (a form's untouched field): it means the default.
    for operations in doc["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return doc


def _attachment_paths(id_param: dict, code_param: dict, pin_header: dict, obj: dict) -> dict:
    upload = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream",
                                "description": "JPEG, PNG, WebP, PDF, DOCX, XLSX, ODT or ODS, checked by content; "
                                               "images are stored without metadata"}}}}}}
    item = _json(_ref("Attachment"), "The attachment: id, name, content_type, size, sha256, public_safe, "
                                     "uploaded_at, href")
    items = _json(_ref("AttachmentList"), "items: the attachments the caller may open")
    # The file goes out with the type its content was checked to be.
    file = {"description": "The file, as a download (Content-Disposition: attachment)",
            "content": {kind: {"schema": {"type": "string", "contentMediaType": kind}} for kind in ATTACHMENT_TYPES}}
    attachment_param = {"name": "attachment_id", "in": "path", "required": True, "schema": ID}
    staff_only = [{"bearer": []}]
    return {
        "/complaints/{complaint_id}/attachments": {
            "post": {"summary": "Attach a file", "operationId": "attachFile", "security": staff_only,
                     "parameters": [id_param], "requestBody": upload,
                     "responses": {"201": item, "401": ERROR, "404": ERROR, "409": ERROR, "422": ERROR}},
            "get": {"summary": "List attachments", "operationId": "listAttachments", "security": staff_only,
                    "parameters": [id_param], "responses": {"200": items, "401": ERROR, "404": ERROR}},
        },
        "/attachments/{attachment_id}": {
            "get": {"summary": "Download an attachment", "operationId": "downloadAttachment", "security": staff_only,
                    "parameters": [attachment_param], "responses": {"200": file, "401": ERROR, "404": ERROR}},
        },
        "/track/{tracking_code}/attachments": {
            "post": {"summary": "Attach a file (reporter)", "operationId": "trackAttachFile",
                     "parameters": [code_param, pin_header], "requestBody": upload,
                     "responses": {"201": item, "401": ERROR, "409": ERROR, "422": ERROR, "429": ERROR}},
            "get": {"summary": "List attachments (reporter)", "operationId": "trackListAttachments",
                    "parameters": [code_param, pin_header],
                    "responses": {"200": items, "401": ERROR, "429": ERROR}},
        },
        "/track/{tracking_code}/attachments/{attachment_id}": {
            "get": {"summary": "Download an attachment (reporter)", "operationId": "trackDownloadAttachment",
                    "parameters": [code_param, attachment_param, pin_header],
                    "responses": {"200": file, "401": ERROR, "404": ERROR, "429": ERROR}},
        },
    }
