"""Scenario files: every refusal names the field, the CLI exits 2 on them and runs the shipped example."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from analytics.cli_revenue import main
from analytics.revenue.spec import SpecError, parse
from tests.conftest import ROOT


def _bad(doc: dict, path: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse(doc)
    assert err.value.path == path
    assert message in str(err.value)


@pytest.mark.parametrize(("change", "path", "message"), [
    (lambda d: d.update(surprise=1), "surprise", "unknown key"),
    (lambda d: d["streams"][0].update(prce=1), "streams[0].prce", "unknown key"),
    (lambda d: d["streams"][0].update(price_per_m_input=-0.5), "streams[0].price_per_m_input", "at least 0"),
    (lambda d: d["streams"][0].update(churn_monthly=1.2), "streams[0].churn_monthly", "between 0 and 1"),
    (lambda d: d["streams"][0]["tiers"][1].update(up_to_m_tokens=50), "streams[0].tiers",
     "tier [1]'s up_to_m_tokens = 50 is not above tier [0]'s 100"),
    (lambda d: d["streams"][0]["tiers"][0].update(up_to_m_tokens=None), "streams[0].tiers[0].up_to_m_tokens",
     "only the last tier may be open-ended"),
    (lambda d: d["streams"][0].update(churn_monthly={"low": 0.05, "base": 0.01, "high": 0.1}),
     "streams[0].churn_monthly", "low ≤ base ≤ high"),
    (lambda d: d["streams"][0].update(kind="lottery"), "streams[0].kind", "must be one of"),
    (lambda d: d["streams"][2]["plans"][0].update(mix=0.5), "streams[2].plans", "add up to 1"),
    (lambda d: d.update(months=12), "months", "between 36 and 60"),
    (lambda d: d.update(start_month="Jan 2027"), "start_month", "YYYY-MM"),
    (lambda d: d["funding"][0].update(month=99), "funding[0].month", "within the horizon"),
    (lambda d: d.update(streams=[]), "streams", "at least 1"),
])
def test_a_malformed_scenario_is_refused_naming_the_field(demo_doc, change, path, message):
    doc = copy.deepcopy(demo_doc)
    change(doc)
    _bad(doc, path, message)


def test_the_cli_runs_the_shipped_example_and_prints_json(capsys):
    assert main([str(ROOT / "examples" / "demo-scenario.json"), "--json", "--paths", "200"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "Base case (illustrative)"
    assert len(out["monthly"]) == 36
    assert out["monte_carlo"]["paths"] == 200
    assert out["headline"]["break_even_month"] is not None


def test_the_cli_refuses_a_bad_file_with_exit_code_2_naming_the_field(tmp_path, demo_doc):
    doc = copy.deepcopy(demo_doc)
    doc["streams"][1]["logo_churn_monthly"] = 1.5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = subprocess.run([sys.executable, "-m", "analytics", "revenue", str(path)], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "streams[1].logo_churn_monthly: must be between 0 and 1" in result.stderr
    assert result.stdout == ""


def test_the_cli_refuses_a_file_that_is_not_json(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    assert main([str(path)]) == 2
    assert "is not JSON: line 1" in capsys.readouterr().err


def test_the_cli_table_prints_undefined_metrics_as_n_a_with_the_reason(capsys):
    assert main([str(ROOT / "examples" / "demo-scenario.json")]) == 0
    out = capsys.readouterr().out
    assert "nan" not in out
    assert "NPV: -$" in out and "$-" not in out  # the sign before the dollar
    assert any(line.startswith("2027-01 ") for line in out.splitlines())  # months as YYYY-MM, not midnight stamps
    rule_of_40_first_year = next(line for line in out.splitlines() if line.strip().startswith("Rule of 40"))
    assert rule_of_40_first_year.split()[3:] == ["n/a", "n/a:", "needs", "24", "months", "of", "revenue"]


def test_the_cli_stops_quietly_when_its_reader_closes_the_pipe():
    # `… | head -0`: the reader is gone before the first line (the CLI imports pandas first, so it writes long
    # after the close); no traceback, as with any Unix tool.
    example = str(ROOT / "examples" / "demo-scenario.json")
    cli = subprocess.Popen([sys.executable, "-m", "analytics", "revenue", example], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, cwd=ROOT)
    cli.stdout.close()
    err = cli.stderr.read()
    assert cli.wait(timeout=60) == 1
    assert b"Traceback" not in err
