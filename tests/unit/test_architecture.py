"""The dependency arrow of house-style.md: web -> workflow -> domain; the domain and the SOP stay pure."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    """Return the dotted module name of a source file under ROOT."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Return (line, absolute module) for every import in ``path``, relative imports resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            # "from . import web" names modules in the names, not in node.module.
            if node.level and not node.module:
                found.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return found


def is_forbidden(module: str, forbidden: tuple[str, ...]) -> bool:
    """Return whether ``module`` is one of ``forbidden`` or inside one (``flask_*`` matches any flask extension)."""
    for name in forbidden:
        if name.endswith("*"):
            if module.split(".")[0].startswith(name[:-1]):
                return True
        elif module == name or module.startswith(name + "."):
            return True
    return False


def violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """Return "file:line imports module" for each forbidden import under ``folder``."""
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}/"
    return [
        f"{path.relative_to(ROOT).as_posix()}:{line} imports {module}"
        for path in files
        for line, module in imports_of(path)
        if is_forbidden(module, forbidden)
    ]


@pytest.mark.parametrize(("folder", "forbidden"), [
    # The pure domain: no web framework, no ORM, no entrypoints, and none of the outer workflow layers.
    ("workflow/domain", ("flask", "flask_*", "sqlalchemy", "werkzeug", "web",
                         "workflow.db", "workflow.models", "workflow.services")),
    # SOP data and its loader stand alone.
    ("sop", ("workflow", "web")),
    # The use cases never reach back into the HTTP layer.
    ("workflow", ("web",)),
], ids=["domain_is_pure", "sop_stands_alone", "workflow_ignores_web"])
def test_layers_import_only_inwards(folder, forbidden):
    found = violations(folder, forbidden)
    assert not found, f"{folder}/ must not import {', '.join(forbidden)}:\n  " + "\n  ".join(found)


def test_the_checker_names_the_offending_file_and_import(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    domain = tmp_path / "workflow" / "domain"
    domain.mkdir(parents=True)
    (domain / "__init__.py").write_text("")
    (domain / "clean.py").write_text("from datetime import date\nfrom workflow.domain.states import State\n")
    (domain / "leaky.py").write_text(
        "import flask_login\nfrom sqlalchemy.orm import Session\nfrom ..models import Complaint\n"
        "from flaskish import x\n")

    found = violations("workflow/domain", ("flask", "flask_*", "sqlalchemy", "workflow.models"))

    assert found == [
        "workflow/domain/leaky.py:1 imports flask_login",
        "workflow/domain/leaky.py:2 imports sqlalchemy.orm",
        "workflow/domain/leaky.py:3 imports workflow.models",
    ]
