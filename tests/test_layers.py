"""House rules that keep the layers apart."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

DOMAIN_PACKAGES = ("analytics", "modelhub", "db")


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_domain_packages_never_import_streamlit(package):
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_the_layer_check_sees_an_offender(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("import os\nfrom streamlit import session_state\n")
    assert "streamlit" in _imports(module)


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for p in ROOT.glob("*/**/*.py")
           if ".venv" not in p.parts and "migrations" not in p.parts
           and (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert big == {}
