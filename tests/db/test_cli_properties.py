"""Property: any argument list to `python -m db` ends in 0 or in 2 with a message, never a traceback,
and a refused command leaves the database unchanged."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import migrate
from db.__main__ import main
from db.engine import make_engine, make_session_factory
from tests.helpers import table_dump

pytestmark = pytest.mark.db
EXAMPLES = int(os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES", "150"))
VALID_REVISIONS = {"base", "head", "heads", *migrate.revisions()}

WORDS = st.sampled_from(["upgrade", "current", "demo", "downgrade", "--force", "--help", "-h", "", "-", "--",
                         "0001x", "head~1", "--url", "DEMO", "upgrade;", "../..", "\u202e", "-1", "+1"])


def _empties_the_database(argv: list[str]) -> bool:
    """`downgrade` to a real revision is a legitimate command, but not one to fire a thousand times."""
    words = [w for w in argv if w != "--"]
    if words[:1] != ["downgrade"]:
        return False
    target = next((w for w in words[1:] if not w.startswith("--") or w.lstrip("-").isdigit()), "base")
    return target in VALID_REVISIONS or target.lstrip("-+").isdigit()


ARGV = st.lists(st.one_of(WORDS, WORDS, st.text(max_size=12)), max_size=4).filter(
    lambda argv: not _empties_the_database(argv))


def test_cli_arguments_are_accepted_or_refused_cleanly(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["upgrade"]) == 0 and main(["demo"]) == 0
    factory = make_session_factory(make_engine(db_url))
    tally: Counter = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ARGV)
    def check(argv):
        before = table_dump(factory)
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: --help is 0, a usage error is 2
            code = exit_.code
        err = capsys.readouterr().err
        assert code in (0, 2), (argv, code, err)
        assert "Traceback" not in err
        if code == 2:
            assert err.startswith(("error:", "usage:")), err
            assert table_dump(factory) == before
            tally["refused with a message, database unchanged"] += 1
        else:
            tally["accepted"] += 1

    check()
    print(f"\ncli arguments: {sum(tally.values())} cases: {dict(tally)}; 0 crashed")


def test_demo_on_an_unmigrated_database_says_to_upgrade(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["demo"]) == 2
    assert "run `python -m db upgrade` first" in capsys.readouterr().err
    assert main(["downgrade", "nonsense"]) == 2
    assert "unknown revision 'nonsense'" in capsys.readouterr().err
