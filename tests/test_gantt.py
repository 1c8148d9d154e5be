"""The Roadmap's Gantt figure: rows grouped project → milestone → task, colours, baseline, today, escaping."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pages._gantt import BASELINE, CRITICAL, MILESTONE, NO_MILESTONE, NORMAL, OUTDENT, gantt, gantt_rows

TODAY = date(2026, 3, 10)
START = pd.Timestamp("2026-03-02")


def _task(task_id, name, project, milestone_id, es, days, critical, kind="task", order=0):
    # As load_plan dates them: a zero-length task falls on the last day of the work before it.
    finish = START + pd.Timedelta(days=es + days - 1)
    start = START + pd.Timedelta(days=es) if days else finish
    return {"id": task_id, "name": name, "project": project, "project_order": order, "milestone_id": milestone_id,
            "es": float(es), "duration": float(days), "start": start, "finish": finish, "kind": kind,
            "status": "todo", "percent_done": 0.0, "total_float": 0.0 if critical else 3.0, "critical": critical}


@pytest.fixture
def plan():
    """App: milestone Beta (11: Design 5 d critical, Build 3 d critical, Launch 0 d), milestone Alpha (10, due
    earlier: Spike), a task in no milestone (Docs); Web: a task only, no milestones."""
    rows = [_task(1, "Design", "App", 11, 0, 5, True), _task(2, "Build", "App", 11, 5, 3, True),
            _task(3, "Launch", "App", 11, 8, 0, True, kind="milestone"), _task(4, "Spike", "App", 10, 0, 2, False),
            _task(5, "Docs", "App", None, 2, 1, False), _task(6, "Site", "Web", None, 0, 4, False, order=1)]
    tasks = pd.DataFrame(rows).set_index("id", drop=False)
    tasks.index.name = None
    milestones = pd.DataFrame({"name": ["Alpha", "Beta"], "project": ["App", "App"], "project_id": [1, 1],
                               "due_date": [date(2026, 3, 4), date(2026, 3, 8)]}, index=[10, 11])
    return tasks, milestones


def _head(label: str) -> str:
    return f"<b>{label}</b>{OUTDENT}"


def _trace(figure, name):
    return next(t for t in figure.data if t.name == name)


def test_rows_are_project_then_one_header_per_milestone_then_its_tasks(plan):
    tasks, milestones = plan
    rows = gantt_rows(tasks, milestones)
    assert list(zip(rows["project"], rows["label"], strict=True)) == [
        ("App", _head("◆ Alpha")), ("App", "Spike"),  # Alpha is due first
        ("App", _head("◆ Beta")), ("App", "Design"), ("App", "Build"), ("App", "Launch"),
        ("App", _head(NO_MILESTONE)), ("App", "Docs"),
        ("Web", "Site"),  # a project without milestones: no header
    ]
    headers = rows[rows["row"] == "header"]
    assert headers["milestone_id"].dropna().tolist() == [10, 11]  # one group per milestone


def test_the_figure_draws_each_row_in_that_order_and_each_due_date_as_a_diamond(plan):
    tasks, milestones = plan
    figure = gantt(tasks, None, TODAY, milestones)
    order = _trace(figure, "rows")
    assert list(order.y[1]) == gantt_rows(tasks, milestones)["label"].tolist()  # first trace: the row order
    due = _trace(figure, "milestone due date")
    assert due.marker.symbol == "diamond" and list(due.y[1]) == [_head("◆ Alpha"), _head("◆ Beta")]
    assert [pd.Timestamp(x).date() for x in due.x] == [date(2026, 3, 4), date(2026, 3, 8)]
    # Alpha's Spike finishes 3 Mar (before its due date); Beta's tasks finish 9 Mar, a day late: red.
    assert list(due.marker.color) == [MILESTONE, CRITICAL]
    assert "+1 d" in due.hovertext[1]
    span = _trace(figure, "milestone's tasks")
    assert [pd.Timestamp(b) for b in span.base] == [START, START]
    assert [x / 86_400_000 for x in span.x] == [2, 8]  # Alpha: 2 days; Beta: Design's start to Build's finish


def test_critical_rows_are_red_and_others_blue(plan):
    tasks, milestones = plan
    bars = _trace(gantt(tasks, None, TODAY, milestones), "current plan")
    colour = dict(zip(bars.y[1], bars.marker.color, strict=True))
    assert colour["Design"] == colour["Build"] == CRITICAL
    assert colour["Spike"] == colour["Docs"] == colour["Site"] == NORMAL
    zero = _trace(gantt(tasks, None, TODAY, milestones), "zero-length task")
    assert list(zero.y[1]) == ["Launch"] and list(zero.marker.color) == [CRITICAL]


def test_the_baseline_trace_is_drawn_only_with_a_baseline(plan):
    tasks, milestones = plan
    assert "baseline" not in [t.name for t in gantt(tasks, None, TODAY, milestones).data]
    slip = pd.DataFrame({"baseline_start": tasks["start"] - pd.Timedelta(days=1),
                         "baseline_finish": tasks["finish"] - pd.Timedelta(days=1)}, index=tasks.index)
    figure = gantt(tasks, slip, TODAY, milestones)
    baseline = _trace(figure, "baseline")
    assert baseline.marker.color == BASELINE
    by_row = dict(zip(baseline.y[1], zip(baseline.base, baseline.x, strict=True), strict=True))
    base, width = by_row["Design"]
    assert pd.Timestamp(base) == START - pd.Timedelta(days=1) and width == 5 * 86_400_000
    assert by_row["Launch"][1] == 0  # a zero-length task has no baseline bar


def test_the_today_line_is_at_today(plan):
    tasks, milestones = plan
    figure = gantt(tasks, None, TODAY, milestones)
    line = figure.layout.shapes[0]
    assert (line.x0, line.x1, line.yref) == (TODAY, TODAY, "paper")
    assert figure.layout.annotations[0].text == "today"


def test_names_reach_the_figure_escaped(plan):
    tasks, milestones = plan
    tasks.loc[1, "name"] = '<a href="javascript:x">y</a>'
    tasks.loc[tasks["project"] == "Web", "project"] = "<i>W</i>"
    milestones.loc[11, "name"] = "<b>Beta</b>"
    figure = gantt(tasks, None, TODAY, milestones)
    labels = list(_trace(figure, "rows").y[1])
    assert "&lt;a href=&quot;javascript:x&quot;&gt;y&lt;/a&gt;" in labels
    assert _head("◆ &lt;b&gt;Beta&lt;/b&gt;") in labels and "&lt;i&gt;W&lt;/i&gt;" in _trace(figure, "rows").y[0]
    assert _trace(figure, "milestone due date").hovertext[1].startswith("<b>&lt;b&gt;Beta&lt;/b&gt;</b>")
    hover = _trace(figure, "current plan").hovertext
    assert any(h.startswith("<b>&lt;a href=&quot;javascript:x&quot;&gt;y&lt;/a&gt;</b>") for h in hover)
    assert not any("<a " in str(v) for t in figure.data for v in (t.y[1] if t.y is not None else []))


def test_same_names_in_one_project_stay_separate_rows(plan):
    tasks, milestones = plan
    tasks.loc[2, "name"] = "Design"
    labels = gantt_rows(tasks, milestones)["label"].tolist()
    assert "Design (#1)" in labels and "Design (#2)" in labels


def test_a_milestone_without_shown_tasks_keeps_its_due_date(plan):
    tasks, milestones = plan
    figure = gantt(tasks[tasks["critical"]], None, TODAY, milestones)  # "critical only": Alpha has none shown
    assert list(_trace(figure, "milestone due date").y[1]) == [_head("◆ Alpha"), _head("◆ Beta")]
    assert list(_trace(figure, "milestone's tasks").y[1]) == [_head("◆ Beta")]
