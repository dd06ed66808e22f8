"""Fixtures for the pure tests: the shipped SOP and a writable copy of it."""

import shutil
from pathlib import Path

import pytest

from sop import Sop, load_sop, sop_path


@pytest.fixture(scope="module")
def shipped() -> Sop:
    """Return the Klungkung SOP as shipped in sop/klungkung."""
    return load_sop(sop_path("klungkung"))


@pytest.fixture
def folder(tmp_path) -> Path:
    """Return a writable copy of the Klungkung SOP."""
    return Path(shutil.copytree(sop_path("klungkung"), tmp_path / "klungkung"))
