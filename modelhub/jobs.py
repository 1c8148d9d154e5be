"""Background jobs: the app starts training and benchmarks as subprocesses of the CLI, which report to the DB.

- ``submit`` checks the request against the registry, stores a queued job and starts
  ``python -m modelhub run-job ID`` in its own session (so a page rerun or a closed browser does not stop it).
- ``run_job`` (inside that process) marks the job running, trains or benchmarks with callbacks that write
  progress, the loss curve, metrics, checkpoints and a heartbeat, and finishes it in ONE transaction with
  its result rows, so a crash never leaves a half-written run.
- ``cancel`` marks the job cancelled and sends SIGTERM; the worker stops at its next step either way.
- ``reap`` marks failed every running job whose process is gone (SIGKILL, crash) or whose heartbeat is stale.
- ``resume`` starts a new job from a failed or cancelled job's last checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db import modelhub_repo as repo
from db.models import utcnow
from db.transaction import transaction
from modelhub import registry
from modelhub.paths import ROOT, data_dir

ACTOR = "modelhub"
STALE_SECONDS = 60.0  # no heartbeat for this long = the worker is gone (covers other machines, hung workers)
_CHILDREN: dict[int, subprocess.Popen] = {}  # processes this app started, so their exit can be collected


def _url(factory: sessionmaker[Session]) -> str:
    return factory.kw["bind"].url.render_as_string(hide_password=False)


def submit(factory: sessionmaker[Session], *, kind: str, model_name: str, config_name: str = "default",
           overrides: dict[str, Any] | None = None, device: str = "auto", resumed_from_id: int | None = None,
           start: bool = True) -> int:
    """Queue a 'train' or 'bench' job and start its worker; bad names/settings raise RegistryError first."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    merged = registry.resolve_config(model_name, config_name, **overrides)  # refuses before anything is stored
    if str(merged.get("dataset", "")).startswith("folder:"):
        # The app's users must not name paths on the server; a local folder is for the CLI (who owns the disk).
        raise registry.RegistryError(f"model {model_name!r}: dataset=folder:… reads a folder on this machine and "
                                     "works only from the command line; upload a zip of images instead")
    with transaction(factory, actor=ACTOR) as session:
        job = repo.create_job(session=session, kind=kind, model_name=model_name, config_name=config_name,
                              overrides=overrides, device=device, resumed_from_id=resumed_from_id)
        job.heartbeat_at = utcnow()  # a worker that never starts is reaped as stale
        job_id = job.id
    if start:
        try:
            spawn(factory, job_id)
        except OSError as exc:  # no worker will ever run it: say so now rather than after the stale timeout
            with transaction(factory, actor=ACTOR) as session:
                repo.finish_job(session=session, job_id=job_id, status="failed",
                                error=f"the worker process could not be started: {exc}")
    return job_id


def spawn(factory: sessionmaker[Session], job_id: int) -> int:
    """Start the worker process for a stored job; returns its pid. Output goes to data/logs/job-ID.log."""
    logs = data_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": _url(factory), "PYTHONUNBUFFERED": "1"}
    with open(logs / f"job-{job_id}.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "modelhub", "run-job", str(job_id)], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    _CHILDREN[proc.pid] = proc
    return proc.pid


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live modelhub worker (a zombie, an exited child or a reused pid counts as gone)."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.exists():  # Linux: tell a zombie or a recycled pid from our worker
        with contextlib.suppress(OSError):
            if (proc / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                return False
            return b"modelhub" in (proc / "cmdline").read_bytes()
    return True


def reap(factory: sessionmaker[Session]) -> list[int]:
    """Mark failed every running job whose worker is gone or silent; returns their ids."""
    cutoff = utcnow() - timedelta(seconds=STALE_SECONDS)
    failed = []
    with transaction(factory, actor=ACTOR) as session:
        for job in repo.list_jobs(session=session, limit=1000, status=("queued", "running")):
            # A pid is checked only on the worker's own machine; elsewhere (a shared PostgreSQL) the heartbeat tells.
            if job.pid is not None and job.host == socket.gethostname() and not pid_alive(job.pid):
                reason = f"the worker process {job.pid} ended without reporting (killed or crashed)"
            elif job.heartbeat_at is not None and job.heartbeat_at < cutoff:
                reason = f"no heartbeat for more than {STALE_SECONDS:.0f} s (the worker hung or its machine stopped)"
            else:
                continue
            resumable = f" — resumable from step {job.checkpoint_step}" if job.checkpoint_path else ""
            repo.finish_job(session=session, job_id=job.id, status="failed", error=reason + resumable)
            failed.append(job.id)
    return failed


def cancel(factory: sessionmaker[Session], job_id: int) -> None:
    """Cancel a job: the verdict is stored at once; the worker gets SIGTERM and stops at its next step."""
    with transaction(factory, actor=ACTOR) as session:
        job = repo.get_job(session=session, job_id=job_id)
        pid, host, running = job.pid, job.host, job.status in ("queued", "running")
        repo.finish_job(session=session, job_id=job_id, status="cancelled", error="cancelled by the user")
    if running and pid is not None and host == socket.gethostname() and pid_alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)


def resume(factory: sessionmaker[Session], job_id: int, *, start: bool = True) -> int:
    """A new job continuing a failed or cancelled training job from its last checkpoint."""
    with factory() as session:
        job = repo.get_job(session=session, job_id=job_id)
        ok = job.kind == "train" and job.status in ("failed", "cancelled") and job.checkpoint_path \
            and Path(job.checkpoint_path).exists()
        if not ok:
            raise repo.ValidationError([repo.FieldError(
                table="modelhub job", field="checkpoint", row=job_id,
                message="only a failed or cancelled training job with a checkpoint can be resumed")])
        args = {"kind": "train", "model_name": job.model_name, "config_name": job.config_name,
                "overrides": dict(job.overrides), "device": job.device}
    return submit(factory, **args, resumed_from_id=job_id, start=start)
