"""`python -m analytics schedule FILE.csv`: results, predecessor syntax, one-line refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.__main__ import main as dispatch
from analytics.cli_schedule import main
from tests.conftest import ROOT

PLAN = """id,name,optimistic,likely,pessimistic,predecessors
1,Collect data,8,10,16,
2,Clean data,3,5,9,1
3,Train model,15,20,35,2FS+2
4,Write API,5,8,12,1SS+3
5,Launch,0,0,0,"3;4"
"""


def _run(tmp_path, text: str | bytes, *args: str, capsys) -> tuple[int, str, str]:
    path = tmp_path / "plan.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code = main([str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_has_the_hand_computed_critical_path(tmp_path, capsys):
    code, out, err = _run(tmp_path, PLAN, "--json", "--start", "2026-01-05", "--iterations", "2000", capsys=capsys)
    assert code == 0 and err == ""
    report = json.loads(out)
    # 1 (10 d) → 2 (5 d) → lag 2 → 3 (20 d) → 5: 37 days; 4 starts 3 days after 1 starts and has 26 days of float.
    assert report["finish_days"] == 37 and report["finish"] == "2026-02-10"
    assert report["critical_path"] == [1, 2, 3, 5]
    api = next(t for t in report["tasks"] if t["id"] == 4)
    assert (api["es"], api["total_float"], api["critical"], api["predecessors"]) == (3, 26, False, "1SS+3")
    mc = report["monte_carlo"]
    assert mc["p50_days"] <= mc["p80_days"] <= mc["p95_days"] and mc["iterations"] == 2000
    assert 8 + 3 + 2 + 15 <= mc["p50_days"] <= 16 + 9 + 2 + 35


def test_the_same_seed_prints_the_same_report(tmp_path, capsys):
    first = _run(tmp_path, PLAN, "--json", "--seed", "9", "--start", "2026-01-05", capsys=capsys)[1]
    second = _run(tmp_path, PLAN, "--json", "--seed", "9", "--start", "2026-01-05", capsys=capsys)[1]
    assert first == second


def test_durations_only_and_comma_separated_predecessors(tmp_path, capsys):
    text = "id,name,duration,predecessors\n1,a,3,\n2,b,4,\n3,c,2,\"1,2\"\n"
    code, out, _ = _run(tmp_path, text, "--json", "--start", "2026-01-05", "--distribution", "triangular",
                        capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["critical_path"] == [2, 3] and report["finish_days"] == 6
    mc = report["monte_carlo"]
    assert mc["p50_days"] == mc["p95_days"] == 6  # fixed durations: no spread


def test_working_days_skip_weekends(tmp_path, capsys):
    code, out, _ = _run(tmp_path, "id,name,duration\n1,a,6\n", "--json", "--start", "2026-01-05", "--working-days",
                        capsys=capsys)
    assert code == 0 and json.loads(out)["finish"] == "2026-01-12"


def test_table_output_names_the_critical_path(tmp_path, capsys):
    code, out, _ = _run(tmp_path, PLAN, "--start", "2026-01-05", capsys=capsys)
    assert code == 0 and "critical path: 1 → 2 → 3 → 5" in out and "P80" in out


@pytest.mark.parametrize(("text", "message"), [
    ("", "is empty"),
    ("id,name\n1,a\n", "header must have id and duration"),
    ("id,name,duration\n", "has a header but no task rows"),
    ("id,name,duration\n1,a,abc\n", "row 1, column 'duration': must be a number of days, got 'abc'"),
    ("id,name,duration\n1,a,-2\n", "row 1, column 'duration': must be a number of days >= 0"),
    ("id,name,duration\nx,a,2\n", "row 1, column 'id': must be a whole number"),
    ("id,name,duration\n1,a,2\n1,b,3\n", "row 2, column 'id': 1 is already used by row 1"),
    ("id,name,duration,predecessors\n1,a,2,7\n", "row 1, column 'predecessors': task 7 is not in the file"),
    ("id,name,duration,predecessors\n1,a,2,1\n", "row 1, column 'predecessors': a task cannot depend on itself"),
    ("id,name,duration,predecessors\n1,a,2,\n2,b,2,1XX\n", "row 2, column 'predecessors': '1XX' is not like"),
    ("id,name,duration,predecessors\n1,a,2,\n2,b,2,\"1;1SS\"\n", "row 2, column 'predecessors': lists the same"),
    ("id,name,optimistic,likely,pessimistic\n1,a,5,3,8\n", "row 1, columns optimistic/likely/pessimistic"),
    ("id,name,duration\n1,a,2,extra\n", "row 1: has 4 cells but the header has 3 columns"),
    ("id,name,duration,predecessors\n1,Train,2,2\n2,Evaluate,3,1\n",
     "cycle: 'Evaluate' (id 2) → 'Train' (id 1) → 'Evaluate' (id 2)"),
    (b"id,name,duration\n1,\xff\xfe,2\n", "is not UTF-8 text"),
    # Found by the property test: a billion days overflowed the calendar instead of being refused.
    ("id,name,duration\n1,a,1e9\n", "row 1, column 'duration': '1e9' days is over 36,500"),
    ("id,name,duration,predecessors\n1,a,2,\n2,b,2,1FS+99999\n", "row 2, column 'predecessors': lag 99999"),
])
def test_a_bad_file_is_refused_in_one_line_naming_row_and_column(tmp_path, capsys, text, message):
    code, out, err = _run(tmp_path, text, "--json", capsys=capsys)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("args", "message"), [
    (["--iterations", "0"], "--iterations must be between"),
    (["--distribution", "normal"], "invalid choice"),
    (["--start", "someday"], "argument --start"),
    (["--seed", "-1"], "--seed must be"),
])
def test_bad_options_are_refused_in_one_line(tmp_path, capsys, args, message):
    code, _, err = _run(tmp_path, PLAN, *args, capsys=capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_missing_file_is_refused(tmp_path, capsys):
    assert main([str(tmp_path / "nope.csv")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_the_dispatcher_runs_the_subcommand(tmp_path, capsys):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN)
    assert dispatch(["schedule", str(path), "--json", "--iterations", "100"]) == 0
    assert json.loads(capsys.readouterr().out)["critical_path"] == [1, 2, 3, 5]


def test_python_dash_m_works_end_to_end(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(PLAN)
    done = subprocess.run([sys.executable, "-m", "analytics", "schedule", str(path), "--json", "--iterations", "200"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["finish_days"] == 37


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(["1", "2", "3", "-1", "x", "", "2FS+1", "1;2", "3SS-2", "0.5", "1e9",
                                          "nan", "inf", "é", '"', "1,2"]), min_size=0, max_size=6), max_size=6),
       st.sampled_from(["id,name,duration,predecessors", "id,name,optimistic,likely,pessimistic,predecessors",
                        "id,duration", "name,duration", ""]))
def test_any_generated_file_is_either_scheduled_or_refused_in_one_line(tmp_path, capsys, rows, header):
    text = "\n".join([header, *(",".join(r) for r in rows)])
    code, out, err = _run(tmp_path, text, "--json", "--iterations", "20", capsys=capsys)
    assert code in (0, 2)
    if code == 0:
        assert json.loads(out)["tasks"] and err == ""
    else:
        assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
