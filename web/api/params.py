"""Query-string parameters shared by the API views."""

from workflow.domain.errors import InvalidInput


def whole_number(value: str | None, name: str, default: int) -> int:
    """Return the query parameter ``name`` as a whole number (``default`` when absent)."""
    if value in (None, ""):
        return default
    # At most nine digits: a larger page would overflow the database's OFFSET, and no list is that long.
    if not value.isdecimal() or len(value) > 9:
        raise InvalidInput(f"'{name}' harus bilangan bulat (paling banyak 9 angka). / '{name}' must be a whole "
                           f"number (at most 9 digits).", {name: value[:20]})
    return int(value)
