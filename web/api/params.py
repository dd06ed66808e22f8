"""Query-string parameters shared by the API views."""

from workflow.domain.errors import InvalidInput


def whole_number(value: str | None, name: str, default: int) -> int:
    """Return the query parameter ``name`` as a whole number (``default`` when absent)."""
    if value in (None, ""):
        return default
    if not value.isdigit():
        raise InvalidInput(f"'{name}' harus bilangan bulat. / '{name}' must be a whole number.", {name: value})
    return int(value)
