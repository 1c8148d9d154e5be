"""House rules that keep the layers apart."""

from __future__ import annotations

import ast
import re

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
           and (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert big == {}


# SQL built from strings: an f-string, %-formatting, .format() or + inside text()/execute(), or an
# f-string that starts like a statement. Bound parameters and the ORM are the only ways in.
FORMATTED_SQL = re.compile(
    r"""(?:\b(?:text|execute|exec_driver_sql|executescript)\(\s*"""
    r"""(?:f["']|(?:"[^"]*"|'[^']*')\s*(?:%|\.format\(|\+)))"""
    r"""|(?:\bf["'](?:SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA)\b)""",
    re.IGNORECASE,
)
SOURCE_DIRS = ("app.py", "pages", "analytics", "db", "modelhub", "bench")


def _formatted_sql(path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [f"{path.name}:{n}: {line.strip()}" for n, line in enumerate(lines, 1) if FORMATTED_SQL.search(line)]


def test_no_sql_is_built_from_formatted_strings():
    files = [p for d in SOURCE_DIRS for p in ([ROOT / d] if d.endswith(".py") else (ROOT / d).rglob("*.py"))]
    assert files
    assert [hit for f in files for hit in _formatted_sql(f)] == []


@pytest.mark.parametrize("line", [
    'conn.execute(text(f"SELECT * FROM task WHERE name = \'{name}\'"))',
    'cursor.execute("DELETE FROM risk WHERE id = %s" % row_id)',
    'session.execute(text("UPDATE task SET name = \'" + name + "\'"))',
    'cursor.execute(f"PRAGMA busy_timeout={ms}")',
    'query = f"SELECT name FROM workspace WHERE id = {wid}"',
])
def test_the_sql_check_sees_each_kind_of_offender(tmp_path, line):
    module = tmp_path / "bad.py"
    module.write_text(line + "\n")
    assert _formatted_sql(module)
