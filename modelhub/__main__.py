"""``python -m modelhub list | train NAME | bench NAME|all | export`` — the modelhub CLI.

``train`` runs in this process (under ``torchrun`` it trains with DDP); ``bench`` stores each run in the
database of ``DATABASE_URL`` (migrated first); ``export`` prints every stored run as CSV or JSON.
Every refusal is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from modelhub import registry
from modelhub.datasets import DatasetError
from modelhub.registry import RegistryError


class CliError(Exception):
    """A refusal: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints usage + message; we want one line
        raise CliError(message)


def _settings(pairs: list[str]) -> dict[str, str]:
    """``key=value`` strings → dict; values are coerced later, against each entry's defaults."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--set takes key=value, not {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _validate(args: argparse.Namespace) -> None:
    """Every check train and bench make before any work: names, config, --set values, bench's step counts."""
    names = registry.list_models() if args.command == "bench" and args.name == "all" else [registry.get(args.name).name]
    overrides = _settings(args.set)
    for name in names:
        registry.resolve_config(name, args.config, **overrides)  # refuses an unknown key or a value out of range
    if args.command == "bench":
        if args.steps < 1:
            raise CliError(f"--steps {args.steps}: bench needs at least 1 timed step")
        if args.warmup < 0:
            raise CliError(f"--warmup {args.warmup}: must be 0 or more")


def _factory(upgrade: bool = True) -> Any:
    from db import migrate
    from db.engine import database_url, make_engine, make_session_factory

    url = database_url()
    if upgrade:  # the CLI brings its database up to date; a job's worker uses the app's as it is
        migrate.upgrade(url)
    return make_session_factory(make_engine(url))


def _check_device(name: str) -> None:
    import torch

    from modelhub.trainer import pick_device

    try:
        device = pick_device(name)
    except (ValueError, RuntimeError) as exc:  # torch.device('tpu') is a RuntimeError
        raise CliError(f"--device {name!r}: {str(exc).splitlines()[0]}") from None
    # torch.device also names 'meta', 'xla', 'hpu' ...: the trainer runs on none of them ('meta' crashed mid-run).
    if device.type not in ("cpu", "cuda", "mps"):
        raise CliError(f"--device {name!r}: the trainer runs on auto, cpu, cuda[:N] or mps")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise CliError(f"--device {name!r}: this machine has no MPS device")


def _list(args: argparse.Namespace) -> int:
    names = registry.list_models(args.pattern)
    from modelhub.quality import bar_label

    print(f"{'name':<20} {'family':<8} {'task':<21} {'metric':<16} {'bar':>22}  source")
    for name in names:
        e = registry.get(name)
        bar = bar_label(e)
        tag = f"  [as written: see {e.as_written_of}]" if e.as_written_of else ""
        print(f"{name:<20} {e.family:<8} {e.task:<21} {e.metric:<16} {bar:>22}  {e.source}{tag}")
    return 0


class _ProgressBar:
    """Trainer callback drawing a tqdm bar of optimiser steps (loss as postfix, evaluations as lines).

    The bar opens at the first step, sized by the event's total, so a fit recipe (no steps) draws none.
    """

    def __init__(self, desc: str, disable: bool = False, leave: bool = True) -> None:
        self.desc, self.disable, self.leave = desc, disable, leave
        self.bar: Any = None

    def __call__(self, event: Any) -> None:
        from tqdm import tqdm

        if self.bar is None and event.kind != "end":
            self.bar = tqdm(total=event.total_steps, desc=self.desc, unit="step", disable=self.disable,
                            leave=self.leave)
        if event.kind == "step":
            self.bar.n = event.step
            self.bar.set_postfix(loss=f"{event.loss:.4f}", refresh=False)
            self.bar.refresh()
        elif event.kind == "eval":
            self.bar.write(f"step {event.step}: " + ", ".join(f"{k}={v:.4g}" for k, v in event.metrics.items()))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _train(args: argparse.Namespace) -> int:
    from modelhub import trainer

    _validate(args)
    recipe = registry.create(args.name, args.config, **_settings(args.set))
    quiet = int(os.environ.get("RANK", "0")) != 0
    if recipe.kind == "fit":
        recipe.fit()
        metrics = recipe.evaluate()
    else:
        bar = _ProgressBar(args.name, disable=quiet)
        result = trainer.train(recipe, device=args.device, checkpoint=args.checkpoint, resume=args.resume,
                               callbacks=[bar])
        bar.close()
        metrics = result.metrics
        if result.world_size > 1:
            import torch.distributed as dist

            # Tear down together: a rank that destroys its gloo group while a peer is still saving or evaluating
            # can abort at exit ("terminate called without an active exception"); torchrun also warns about a
            # process group left open.
            dist.barrier()
            dist.destroy_process_group()
    if not quiet:
        entry = registry.get(args.name)
        value = metrics.get(entry.metric)
        verdict = {True: "meets", False: "misses", None: "has no"}[entry.passes(value) if value is not None else None]
        print(f"{args.name} ({args.config}): {entry.metric} = {value if value is None else f'{value:.4f}'}"
              f" — {verdict} quality bar {entry.quality_bar}")
        samples = recipe.generate(2) if recipe.kind == "fit" else recipe.generate(recipe.model, 2)
        for sample in samples:
            print("sample:", sample[:400].replace("\n", " "))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from db import modelhub_repo
    from db.transaction import transaction
    from modelhub import bench

    _validate(args)  # refuse before measuring anything
    names = registry.list_models() if args.name == "all" else [registry.get(args.name).name]
    overrides = _settings(args.set)
    factory = None if args.no_save else _factory()
    for name in tqdm(names, desc="bench", unit="model", disable=len(names) == 1):
        # The training run for the metric is the long part: its own bar (cleared after each model of 'all').
        bar = _ProgressBar(f"{name} training", leave=len(names) == 1)
        try:
            r = bench.benchmark(name, args.config, device=args.device, timed_steps=args.steps,
                                warmup=args.warmup, train=not args.no_train, progress=bar, **overrides)
        finally:
            bar.close()
        mfu = "n/a" if r.mfu is None else f"{r.mfu:.2%}"
        metric = "not trained" if r.metric_value is None else f"{r.metric_value:.4f}"
        if r.flops_per_unit is None:  # a fit recipe: training and prediction throughput, no FLOPs
            speed = f"fit {r.units_per_second:,.0f} {r.unit}s/s, predict {r.predict_units_per_second:,.0f} {r.unit}s/s"
            work = "FLOPs not counted"
        else:
            speed = f"{r.units_per_second:,.0f} {r.unit}s/s"
            work = f"{r.flops_per_unit:,.0f} FLOPs/{r.unit}, MFU {mfu}"
        print(f"{name}: {speed} on {r.device_name} ({r.precision}), {r.params:,} params, {work}, "
              f"{r.metric_name} {metric}")
        if "added analytically" in r.flops_source:
            print(f"  FLOPs: {r.flops_source}")
        if factory is not None:
            with transaction(factory, actor="modelhub") as session:
                modelhub_repo.add_run(session=session, values=r.as_dict())
    return 0


def _export(args: argparse.Namespace) -> int:
    from db import modelhub_repo

    if args.output:  # before the database is touched: a bad path was a FileNotFoundError traceback
        target = Path(args.output)
        if target.is_dir() or not target.parent.is_dir():
            raise CliError(f"--output {args.output!r}: " + ("is a folder" if target.is_dir() else "no such folder"))
    with _factory()() as session:
        text = modelhub_repo.export_runs(session=session, fmt=args.format)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except OSError as exc:  # permissions, a full disk
            raise CliError(f"--output {args.output!r}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return 0


def _run_job(args: argparse.Namespace) -> int:
    from modelhub.worker import run_job

    return run_job(_factory(upgrade=False), args.job_id)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m modelhub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    show = sub.add_parser("list", help="registered models")
    show.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. 'gpt*'")
    for command in ("train", "bench"):
        p = sub.add_parser(command, help=f"{command} a model" + (" (or 'all')" if command == "bench" else ""))
        p.add_argument("name")
        p.add_argument("--config", default="default", choices=registry.CONFIG_NAMES)
        p.add_argument("--device", default="auto", help="auto (CUDA → MPS → CPU), cpu, cuda, cuda:1, mps")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    train = sub.choices["train"]
    train.add_argument("--checkpoint", help="checkpoint file written at each evaluation")
    train.add_argument("--resume", action="store_true", help="continue from --checkpoint if it exists")
    bench = sub.choices["bench"]
    bench.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    bench.add_argument("--warmup", type=int, default=5, help="untimed warm-up steps (default 5)")
    bench.add_argument("--no-train", action="store_true", help="throughput only: skip training for the metric")
    bench.add_argument("--no-save", action="store_true", help="do not store the run in the database")
    export = sub.add_parser("export", help="every stored benchmark run")
    export.add_argument("--format", default="csv", choices=("csv", "json"))
    export.add_argument("--output", help="file to write (default: stdout)")
    job = sub.add_parser("run-job", help="(internal) run a queued background job")
    job.add_argument("job_id", type=int)
    return parser


def main(argv: list[str] | None = None, *, check_only: bool = False) -> int:
    """Run the CLI; 0 on success, 2 with one line on stderr for any refusal.

    ``check_only``: ``train`` and ``bench`` make every check they make before training, then return 0 without
    training (the property tests drive thousands of argument lists through the real parser and checks).
    """
    from db.transaction import StorageError
    from db.validation import ValidationError

    try:
        args = _parser().parse_args(argv)
        if getattr(args, "device", "auto") != "auto":
            _check_device(args.device)
        if check_only and args.command in ("train", "bench"):
            _validate(args)
            return 0
        handler = {"list": _list, "train": _train, "bench": _bench, "export": _export, "run-job": _run_job}
        return handler[args.command](args)
    except (CliError, RegistryError, DatasetError, ValidationError, StorageError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
