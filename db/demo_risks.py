"""Demo workspace: link some of its catalogue risks to the tasks they would delay.

Which risk delays which task, and by how many days, is illustrative (the documents give no
durations); it lets the demo's risk-adjusted schedule show risk events moving dates.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.models import Risk, Task
from db.risks import set_linked_tasks

# Risk code → (illustrative delay in days per linked task, tasks by the phase template's names).
DEMO_RISK_LINKS: dict[str, tuple[float, tuple[str, ...]]] = {
    "compute-cost": (8.0, ("Preprocess the data and train iteratively: pre-train, then fine-tune on task data",
                           "Tune hyperparameters (learning rate, batch size) and apply regularisation")),
    "data-quality": (7.0, ("Clean the data: deduplicate, denoise and remove outliers",
                           "Annotate the data to build the labelled training dataset")),
    "talent-team": (15.0, ("Recruit and screen candidates: technical interview, behavioural interview and "
                           "culture fit",)),
    "reliability": (5.0, ("Deploy with containers (Docker), microservices and CI/CD (Jenkins, GitLab CI)",
                          "Set up monitoring and operations to keep the model running stably")),
    "data-privacy": (6.0, ("Set up data storage (HDFS, AWS S3), quality control and protection (encryption, access "
                           "control, anonymisation)",)),
    "technical-complexity": (6.0, ("Design the system architecture: distributed computing, microservices, data "
                                   "management and model version management",)),
}


def link_demo_risks(*, session: Session, workspace_id: int) -> int:
    """Set the demo's schedule impacts and risk → task links; returns the number of links made."""
    tasks = {name: task_id for task_id, name in session.execute(
        select(Task.id, Task.name).where(Task.workspace_id == workspace_id, Task.deleted_at.is_(None)))}
    risks = {r.code: r for r in repo.list_rows(session=session, model=Risk, workspace_id=workspace_id)}
    made = 0
    for code, (days, names) in DEMO_RISK_LINKS.items():
        risk = risks.get(code)
        wanted = [tasks[n] for n in names if n in tasks]
        if risk is None or not wanted:
            continue
        repo.update(session=session, model=Risk, row_id=risk.id, values={"schedule_impact_days": days})
        made += set_linked_tasks(session=session, risk_id=risk.id, task_ids=wanted)[0]
    return made
