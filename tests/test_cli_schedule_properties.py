"""Property: any scenario file (CSV task list) and argument list to ``python -m analytics schedule`` is accepted
whole (exit 0, JSON with every task scheduled and P50 <= P80 <= P95) or refused (exit 2, one line on stderr naming
the row and column, the header or the flag), never a traceback. Each case is a valid plan with at most one hostile
change, so the test knows what a refusal must name. FOUNDERDECK_PROPERTY_EXAMPLES sets the count (150 here,
1,000 under `make reliability`); tests/test_cli_schedule.py keeps its free-form 150-case fuzz beside this."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics.cli_schedule import main

EXAMPLES = int(os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES", "150"))
ESTIMATES = ("optimistic", "likely", "pessimistic")
BAD_DAYS = ["-1", "nan", "inf", "-inf", "x", "1e9", "36501", "1,5", "0x1", "½", "1e400", "--", "3 days"]
BAD_IDS = ["x", "-1", "1.5", "0x1", "1e3", "1234567890", "", "١", " "]
BAD_LINKS = ["x", "99", "2XX", "1FS+", "1FS+99999", "1FF-36501", "FS", "1 FS + 2 days", "1;1", "+1", "1FS+nan"]
BAD_ARGS = [("--iterations", "0"), ("--iterations", "-5"), ("--iterations", "x"), ("--iterations", "2000000"),
            ("--seed", "-1"), ("--seed", "1.5"), ("--seed", str(2**63)), ("--distribution", "normal"),
            ("--start", "2026-02-30"), ("--start", "yesterday"), ("--start", ""), ("--frob", None),
            ("--iterations", None)]


@st.composite
def plans(draw) -> tuple[bytes, list[str], tuple[str, ...] | None]:
    """(file bytes, extra arguments, words a refusal must hold — None when the case is valid)."""
    n = draw(st.integers(1, 6))
    ids = draw(st.permutations(range(1, 40)))[:n]
    three = draw(st.booleans())
    header = ["id", "name", *(ESTIMATES if three else ("duration",)), "predecessors"]
    rows = []
    for i, task_id in enumerate(ids):
        o = draw(st.integers(0, 20))
        m = o + draw(st.integers(0, 10))
        days = [str(o), str(m), str(m + draw(st.integers(0, 15)))] if three else [str(draw(st.sampled_from(
            [0, 1, 2.5, 10, 365])))]
        preds = draw(st.lists(st.sampled_from(ids[:i]), unique=True, max_size=3)) if i else []
        links = [f"{p}{draw(st.sampled_from(['', 'FS', 'SS', 'FF', 'SF', 'FS+2', 'SS-1', 'ff+0.5d']))}" for p in preds]
        name = draw(st.sampled_from(["Build", "Test, ship", 'say "hi"', "é—", "", "a\nb", "=1+1"]))
        rows.append([str(task_id), name, *days, draw(st.sampled_from([";", ","])).join(links)])
    args: list[str] = []
    want: tuple[str, ...] | None = None
    change = draw(st.sampled_from(["none", "days", "order", "id", "duplicate", "link", "self", "cycle", "header",
                                   "cells", "argument", "encoding"]))
    r = draw(st.integers(0, n - 1))
    where = f"row {r + 1}"
    if change == "days":
        column = draw(st.sampled_from(ESTIMATES if three else ("duration",)))
        rows[r][header.index(column)] = draw(st.sampled_from([*BAD_DAYS, ""]))
        empty = rows[r][header.index(column)] == ""
        want = (where, "optimistic/likely/pessimistic" if empty and three else column)
    elif change == "order" and three:
        rows[r][2], rows[r][4] = "9", "3"
        want = (where, "optimistic/likely/pessimistic")
    elif change == "id":
        rows[r][0] = draw(st.sampled_from(BAD_IDS))
        want = (where, "'id'")
    elif change == "duplicate" and n > 1:
        rows[r][0] = rows[r - 1][0]
        want = (f"row {max(r, (r - 1) % n) + 1}", "'id'")
    elif change == "link":
        rows[r][-1] = draw(st.sampled_from(BAD_LINKS))
        want = (where, "'predecessors'")
    elif change == "self":
        rows[r][-1] = rows[r][0]
        want = (where, "'predecessors'")
    elif change == "cycle" and n > 1:  # the first task waits for the last, which (transitively or not) waits on it
        rows[-1][-1] = rows[0][0]
        rows[0][-1] = rows[-1][0]
        want = ("cycle",)
    elif change == "header":
        dropped = draw(st.sampled_from(["id", "duration" if not three else "likely", "repeat", "all"]))
        if dropped == "repeat":
            header[1] = "ID"
        elif dropped == "all":
            header, rows = [], []
        else:
            header[header.index(dropped)] = "notes"
        want = ("header" if dropped != "all" else "empty",)
    elif change == "cells":
        rows[r].append("extra")
        want = (where, "cells")
    elif change == "argument":
        flag, value = draw(st.sampled_from(BAD_ARGS))
        args = [flag] if value is None else [f"{flag}={value}"]
        want = (flag,)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    if change == "encoding":
        data, want = "id,name,duration\n1,Gr\u00fcn,3\n".encode("latin-1"), ("UTF-8",)
    elif draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data  # Excel's CSV UTF-8 starts with a byte-order mark
    return data, args, want


def _run(path: Path, data: bytes, args: list[str]) -> tuple[int, str, str]:
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(path), "--json", "--iterations", "20", "--start", "2026-01-05", *args])
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_generated_scenario_files_are_scheduled_whole_or_refused_naming_the_field():
    tally: Counter = Counter()
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "plan.csv"

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(plans())
    # Found by this test: an Arabic-Indic '١' matched the id pattern's Unicode \d and became task 1.
    @example(("id,name,duration,predecessors\n\u0661,a,3,\n2,b,4,\u0661\n".encode(), [], ("row 1", "'id'")))
    @example((b"id,name,duration\n1,a,3\n2,b,4,5\n", [], ("row 2", "cells")))
    @example((b"id,name,duration,predecessors\n1,a,3,\n2,b,4,1FS+36501\n", [], ("row 2", "'predecessors'")))
    def check(case):
        data, args, want = case
        code, out, err = _run(path, data, args)
        assert "Traceback" not in err, (data, args, err)
        assert code in (0, 2), (data, args, code, err)
        if code == 0:
            assert want is None, f"a bad case was accepted: {data!r} {args}"
            report = json.loads(out)
            lines = [ln for ln in data.decode("utf-8-sig").splitlines()[1:] if ln.strip()]
            assert report["tasks"] and err == ""
            assert len(report["tasks"]) <= len(lines)  # names with a newline span two physical lines
            assert max(t["ef"] for t in report["tasks"]) == report["finish_days"]
            mc = report["monte_carlo"]
            assert mc["p50_days"] <= mc["p80_days"] <= mc["p95_days"]
            tally["accepted whole"] += 1
            return
        lines = err.splitlines()
        assert out == "" and len(lines) == 1, (data, args, err)
        assert want is not None, f"a valid plan was refused: {data!r} {args}: {err}"
        assert all(word.lower() in lines[0].lower() for word in want), (data, args, want, lines[0])
        tally["refused naming " + ("the flag" if want[0].startswith("--") else "the field")] += 1

    check()
    folder.cleanup()
    print(f"\nschedule scenario files: {sum(tally.values())} cases: {dict(tally)}; 0 crashed")
