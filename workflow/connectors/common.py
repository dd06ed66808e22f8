"""What the connectors share: the SOP category an outside system meant, and its own label kept."""

from flask import current_app

from workflow.services.sop import active_sop


def sop_category(label: str | None) -> tuple[str, bool]:
    """Return the SOP category ``label`` names (its code or name, any case) and True, else the fallback and False.

    No wrong door: a complaint in a category we do not know still comes in, under
    ``CONNECTOR_FALLBACK_CATEGORY``; the administrator sets the right one at verification.
    """
    wanted = (label or "").strip().casefold()
    if wanted:
        _, sop = active_sop()
        for category in sop.categories:
            if wanted in (category.code.casefold(), category.name.casefold(), category.name_en.casefold()):
                return category.code, True
    return current_app.config.get("CONNECTOR_FALLBACK_CATEGORY", "lainnya"), False


def noting_source_category(description: str, label: str | None, source: str) -> str:
    """Return ``description`` with the source's own category appended, so the administrator still sees it."""
    if not (label or "").strip():
        return description
    return f"{description}\n\n[Kategori di {source} / category in {source}: {label.strip()}]"
