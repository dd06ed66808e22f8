"""Render Open311 answers as XML or JSON from one plain-data shape.

The JSON is the mechanical mapping of the XML the spec asks for: the root element is dropped, a
list becomes an array of objects. So every view builds plain data once (dicts, lists, scalars) and
:func:`render` writes either format; the XML names each list item with :data:`ITEM_NAMES`.
"""

import json
import re
from typing import Any
from xml.etree import ElementTree  # nosec B405  # only writes XML; nothing here parses any

from flask import Response

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MIME_TYPES = {"xml": "text/xml", "json": "application/json"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# The element that wraps each item of a list, by the list's element name.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all; a stray control character must not break the whole document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(fmt: str, root: str, data: Any, status: int = 200) -> Response:
    """Return ``data`` as an Open311 response in ``fmt`` ('xml' or 'json'), XML rooted at ``root``."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    else:
        body = XML_DECLARATION + ElementTree.tostring(_element(root, data), encoding="utf-8")
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def scalar(value: Any) -> str | None:
    """Return the XML text of a scalar: booleans as ``true``/``false``, None as an empty element."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(name: str, data: Any) -> ElementTree.Element:
    element = ElementTree.Element(name)
    if isinstance(data, dict):
        for key, value in data.items():
            element.append(_element(key, value))
    elif isinstance(data, list | tuple):
        item = ITEM_NAMES[name]
        for value in data:
            element.append(_element(item, value))
    else:
        element.text = scalar(data)
    return element
