"""Property: any argument list to ``python -m modelhub`` is accepted or refused (exit 2, one line on stderr naming
the bad part), never a traceback, and a refusal leaves the database unchanged. ``list``, ``export`` and
``run-job`` run in full; ``train`` and ``bench`` stop after every check they make before training
(``main(check_only=True)``), so a thousand cases take seconds. Each case is a valid command with at most one
hostile change, so the test knows what a refusal must name. FOUNDERDECK_PROPERTY_EXAMPLES sets the count (150
here, 1,000 under `make reliability`)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from db.engine import make_engine, make_session_factory
from modelhub import registry
from modelhub.__main__ import main
from tests.conftest import ROOT
from tests.helpers import table_dump

EXAMPLES = int(os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES", "150"))
NAMES = registry.list_models()
# Valid --set values for any model (trainer keys), and hostile ones with the key a refusal must name.
GOOD_SETS = ["steps=2", "threads=1", "lr=1e-3", "batch_size=4", "eval_every=1", "seed=7", "warmup_steps=0",
             "grad_clip=0", "weight_decay=0.01", "target=0.5", "accumulate=2", "precision=fp32", "compile=false",
             "min_lr_ratio=0", "steps=3.0"]
BAD_SETS = ["steps=-3", "steps=0", "steps=x", "steps=1.5", "eval_every=0", "batch_size=0", "batch_size=-2",
            "accumulate=0", "lr=nan", "lr=-1", "lr=inf", "lr=0", "seed=-1", f"seed={2**32}", "threads=-1",
            "threads=100000", "warmup_steps=-5", "grad_clip=-1", "min_lr_ratio=2", "target=nan", "precision=fp4",
            "precision=", "compile=maybe", "colour=red", "Steps=2", "steps", "=1", "", "lr==1", "steps=1e400",
            "dataset=", "weight_decay=-0.1"]
BAD_NAMES = ["nope", "", "MLP", "mlp ", "../mlp", "*", "gpt2", "\u202e"]
DEVICES_BAD = ["tpu", "meta", "cuda:99", "cpu:x", "", "xla", "-1", "mps"]
# A model's own keys with a value of the wrong sign: sizes, counts and rates.
MODEL_SETS = {"mlp": ["hidden=-1", "hidden=0"], "gpt": ["n_layer=0", "n_embd=-32"], "resnet": ["width=0"],
              "alexnet": ["width=-0.5"], "ngram": ["order=0"], "naive_bayes": ["alpha=0"]}


@st.composite
def commands(draw) -> tuple[list[str], tuple[str, ...] | None]:
    """(argv, words a refusal must hold — None when the command is valid)."""
    command = draw(st.sampled_from(["list", "export", "train", "bench", "run-job"]))
    want: tuple[str, ...] | None = None
    if command == "list":
        argv = ["list", *draw(st.lists(st.sampled_from(["*", "ml*", "gpt", "[", "nomatch", "", "?"]), max_size=1))]
        if draw(st.booleans()):  # a second pattern, or an unknown flag
            argv[1:] = [argv[1] if len(argv) > 1 else "*", extra := draw(st.sampled_from(["x", "--frob"]))]
            want = (extra,)
        return argv, want
    if command == "export":
        argv = ["export"]
        change = draw(st.sampled_from(["none", "format", "output", "folder", "unknown"]))
        if change == "format":
            fmt = draw(st.sampled_from(["xml", "", "CSV", "json "]))
            argv += ["--format", fmt]
            want = ("--format",)
        elif change == "output":
            argv += ["--output", draw(st.sampled_from(["/nonexistent/runs.csv", "/", "."]))]
            want = ("--output",)
        elif change == "folder":
            argv += ["--output"]
            want = ("--output",)
        elif change == "unknown":
            argv += ["--frob"]
            want = ("--frob",)
        else:
            argv += draw(st.sampled_from([[], ["--format", "csv"], ["--format", "json"], ["--output", "runs.csv"]]))
        return argv, want
    if command == "run-job":
        job = draw(st.sampled_from(["9", "0", "-1", "x", "", "1e3"]))
        valid_int = job.lstrip("-").isdigit()
        return ["run-job", job], ("job" if valid_int else "job_id",)
    name = draw(st.sampled_from([*NAMES, "all"] if command == "bench" else NAMES))
    sets = draw(st.lists(st.sampled_from(GOOD_SETS), max_size=3))
    argv = [command, name, "--config", draw(st.sampled_from(registry.CONFIG_NAMES))]
    if draw(st.booleans()):
        argv += ["--device", draw(st.sampled_from(["cpu", "auto"]))]
    if command == "bench":
        argv += draw(st.sampled_from([[], ["--steps", "1"], ["--warmup", "0"], ["--no-train"], ["--no-save"]]))
    else:
        argv += draw(st.sampled_from([[], ["--resume"], ["--checkpoint", "/tmp/x.pt"]]))
    change = draw(st.sampled_from(["none", "name", "set", "model-set", "config", "device", "steps", "unknown"]))
    if change == "name":
        argv[1] = draw(st.sampled_from(BAD_NAMES))
        want = ("model",)
    elif change == "set":
        bad = draw(st.sampled_from(BAD_SETS))
        sets.append(bad)  # last: a later --set of the same key wins, as a repeated flag does
        key = bad.partition("=")[0].strip()
        want = ("--set",) if not key or "=" not in bad else (key,)
    elif change == "model-set" and name in MODEL_SETS:
        bad = draw(st.sampled_from(MODEL_SETS[name]))
        sets.append(bad)
        want = (bad.partition("=")[0],)
    elif change == "config":
        argv[3] = draw(st.sampled_from(["huge", "", "Smoke", "--set"]))
        want = ("--config",)
    elif change == "device":
        argv += ["--device", draw(st.sampled_from(DEVICES_BAD))]
        want = ("--device",)
    elif change == "steps" and command == "bench":
        flag, value = draw(st.sampled_from([("--steps", "0"), ("--steps", "-1"), ("--warmup", "-1"), ("--steps", "x"),
                                            ("--warmup", "1.5")]))
        argv += [f"{flag}={value}"]
        want = (flag,)
    elif change == "unknown":
        argv += [draw(st.sampled_from(["--frob", "--seed", "-x", "--no-train" if command == "train" else "--resume"]))]
        want = (argv[-1],)
    for pair in sets:
        argv += [f"--set={pair}"] if draw(st.booleans()) else ["--set", pair]
    return argv, want


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv, check_only=True)
        except SystemExit as exit_:  # --help
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_generated_modelhub_commands_are_accepted_or_refused_naming_the_bad_part(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # export --output . and the like stay in the test's folder
    assert _run(["export"])[0] == 0  # migrates the database, so a refusal can be compared with it
    factory = make_session_factory(make_engine(db_url))
    tally: Counter = Counter()

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(commands())
    # Found by this test (each was a traceback): a missing folder for --output, a meta device, eval_every=0,
    # a negative batch, seed=-1, lr=nan, bench --steps -1.
    @example((["export", "--output", "/nonexistent/runs.csv"], ("--output",)))
    @example((["train", "mlp", "--device", "meta"], ("--device",)))
    @example((["train", "mlp", "--set", "eval_every=0"], ("eval_every",)))
    @example((["train", "mlp", "--set", "batch_size=-2"], ("batch_size",)))
    @example((["train", "mlp", "--set", "seed=-1"], ("seed",)))
    @example((["train", "mlp", "--set", "lr=nan"], ("lr",)))
    @example((["train", "mlp", "--set", "hidden=-1"], ("hidden",)))
    @example((["bench", "mlp", "--steps", "-1"], ("--steps",)))
    def check(case):
        argv, want = case
        before = table_dump(factory)
        code, _out, err = _run(argv)
        assert "Traceback" not in err, (argv, err)
        assert code in (0, 2), (argv, code, err)
        if code == 0:
            assert want is None, f"a bad command was accepted: {argv}"
            tally[f"accepted ({'checked, not trained' if argv[0] in ('train', 'bench') else 'run'})"] += 1
            return
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
        assert want is not None, f"a valid command was refused: {argv}: {err}"
        assert any(word.lower() in lines[0].lower() for word in want), (argv, want, lines[0])
        assert table_dump(factory) == before
        tally["refused naming the bad part, database unchanged"] += 1

    check()
    print(f"\nmodelhub cli arguments: {sum(tally.values())} cases: {dict(tally)}; 0 crashed")


@pytest.mark.parametrize("argv", [
    ["train", "mlp", "--config", "smoke", "--set", "eval_every=0"],
    ["train", "mlp", "--config", "smoke", "--set", "accumulate=0"],
    ["bench", "mlp", "--config", "smoke", "--steps", "0", "--no-save"],
    ["export", "--output", "/nonexistent/runs.csv"],
])
def test_the_real_entry_point_refuses_before_any_training(argv, tmp_path):
    """Through ``python -m modelhub`` without check_only: the refusals come before any step is run."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "FOUNDERDECK_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "modelhub", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: ")
    assert "step" not in done.stdout and not (tmp_path / "cli.db").exists()
