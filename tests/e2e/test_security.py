"""User text is shown as text in the real browser, never run as HTML or script."""

from __future__ import annotations

import pytest

import db.history  # noqa: F401
from db import repo
from db.engine import make_engine, make_session_factory
from db.models import Project, Risk, Task
from db.transaction import transaction
from tests.e2e.test_browser import _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"
MARKDOWN = "**not bold** [link](javascript:alert(3)) $x$"


@pytest.fixture(scope="module")
def hostile_workspace(app_server) -> int:
    factory = make_session_factory(make_engine(app_server["database_url"]))
    with transaction(factory, actor="attacker") as s:
        ws = repo.create_workspace(session=s, name=SCRIPT)
        project = repo.create(session=s, model=Project, values={"workspace_id": ws.id, "name": IMAGE})
        doomed = [repo.create(session=s, model=Task, values={"project_id": project.id, "name": name})
                  for name in (IMAGE, MARKDOWN)]
        repo.create(session=s, model=Risk, values={"workspace_id": ws.id, "category": "legal", "title": SCRIPT,
                                                   "probability_pct": 90, "impact": 5})
        for task in doomed:  # the restore list shows their names in Markdown
            repo.soft_delete(session=s, model=Task, row_id=task.id)
        return ws.id


@pytest.mark.parametrize("path", ["/", "/projects"])
def test_hostile_names_render_as_text_and_open_no_dialog(app_server, hostile_workspace, page, path):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_server['base']}{path}?ws={hostile_workspace}")
    _settle(page)
    page.wait_for_timeout(1500)
    assert dialogs == []
    main = page.get_by_test_id("stMain")
    if path == "/":
        assert main.locator("h1").first.inner_text() == SCRIPT
    else:
        deleted = main.get_by_role("strong")  # the restore list names each deleted row in bold
        assert deleted.filter(has_text=IMAGE).inner_text() == IMAGE
        assert deleted.filter(has_text="not bold").inner_text() == MARKDOWN
        assert main.locator("img[src='x'], a[href^='javascript']").count() == 0
    assert page.locator("script:text('alert(1)')").count() == 0
    picker = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first
    assert picker.locator("input").first.input_value() == SCRIPT
