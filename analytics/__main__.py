"""``python -m analytics SUBCOMMAND …`` — the analytics command line.

Each subcommand lives in its own module with a ``main(argv) -> int`` (``analytics/cli_<name>.py``),
so the schedule, compute-cost and revenue CLIs grow without touching each other. Exit code 2 and
one line on stderr for any refusal, as in ``python -m db``.
"""

from __future__ import annotations

import importlib
import os
import sys

# subcommand → (module, one-line help). A module that has not landed yet is reported, not imported.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "schedule": ("analytics.cli_schedule", "critical path and schedule Monte Carlo for a task list (CSV)"),
    "compute": ("analytics.cli_compute", "training and serving cost estimates from the GPU catalogue"),
    "revenue": ("analytics.cli_revenue", "the monthly revenue model of a scenario file (JSON), with Monte Carlo"),
}


def _usage() -> str:
    lines = ["usage: python -m analytics SUBCOMMAND [options]", "", "subcommands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a subcommand's ``main``; 0 on success, 2 on a refusal."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"error: unknown subcommand {name!r}; choose from {', '.join(SUBCOMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader left early (``… | head``): the Python docs' recipe, so the interpreter's final flush of
        # stdout does not print a second traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
