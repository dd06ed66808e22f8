"""Standard operating procedures as versioned data: the files under ``sop/<name>/`` and their loader."""

from pathlib import Path

from sop.loader import SopError, SopInvalid, load_sop
from sop.schema import Sop

SOP_ROOT = Path(__file__).resolve().parent


def sop_path(name: str) -> Path:
    """Return the folder of the SOP called ``name`` (for example ``klungkung``)."""
    return SOP_ROOT / name


__all__ = ["SOP_ROOT", "Sop", "SopError", "SopInvalid", "load_sop", "sop_path"]
