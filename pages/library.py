"""Library: the documents' case studies (contradictions and errors flagged), checklists ticked per workspace,
the TensorFlow-vs-PyTorch comparison with today's facts, and 004's FAQ linked to the app's own pages."""

from __future__ import annotations

import streamlit as st

from analytics.library import Case, Citation, FactualError, Flag
from db.checklists import set_item
from db.views_library import ChecklistProgress, library_view
from pages._components import plain, read, require_workspace, run_action

workspace_id = require_workspace()
FLAG_ICONS = {"contradiction": "🔀", "error": "⚠️", "duplicate": "📑"}
OUTCOME_LABELS = {"success": "success", "failure": "failure", "contested": "success or failure: the documents "
                  "disagree", "example": "example"}
TAGS_KEY = "library_tags"


def md(text: str) -> str:
    """Library text for Markdown: inert, except `code spans`, which are kept as code."""
    parts = str(text).split("`")
    return "".join(f"`{p}`" if i % 2 else plain(p) for i, p in enumerate(parts))


def cites(items: tuple[Citation, ...] | list[Citation]) -> str:
    return " · ".join(f"{c.label} «{c.quote}»" for c in items)


st.title("Library")
st.caption("What the five source documents say, in English with the original Chinese beside key terms. Every "
           "entry cites document, section and lines (e.g. 003:L443-451 = document 003, lines 443–451) with the "
           "words it rests on. 🔀 the documents contradict each other · ⚠️ a factual error · 📑 the same text "
           "given twice.")
search_col, tags_col = st.columns([3, 2])
query = search_col.text_input("Search", key="library_search", placeholder="Watson, MaaS, 硅谷, privacy, 004:L410 …",
                              help="Every word must appear (English or Chinese), in any entry, its versions, "
                                   "flags or citations.")
with read() as session:
    view = library_view(session=session, workspace_id=workspace_id, query=query,
                        tags=st.session_state.get(TAGS_KEY, ()))
# The tag choices come from the view, so the widget is drawn after it; its value is already in the state.
tags_col.multiselect("Tags (cases and errors)", view.tags, key=TAGS_KEY)
lib = view.library
if view.searching:
    st.caption(f"{view.matches} entries match.")
    if not view.matches:
        st.info("Nothing in the documents matches this search. Try fewer words, a Chinese term or a line "
                "reference such as 002:L879.", icon=":material/search_off:")


def _flag(flag: Flag) -> None:
    # Warnings, not st.error: a flag is content about the documents, not a failure of the page.
    box = st.info if flag.kind == "duplicate" else st.warning
    box(f"**{flag.kind.capitalize()}**: {md(flag.text)}\n\n*{plain(cites(flag.cites))}*", icon=FLAG_ICONS[flag.kind])


def _case(case: Case) -> None:
    icons = "".join(sorted({FLAG_ICONS[f.kind] for f in case.flags}))
    label = f"{icons} {case.name} ({case.zh}) · {OUTCOME_LABELS[case.outcome]}".strip()
    with st.expander(plain(label)):
        if len(case.versions) > 1:
            st.caption(f"{len(case.versions)} versions in the documents, shown side by side.")
        columns = st.columns(min(len(case.versions), 3))
        for i, version in enumerate(case.versions):
            with columns[i % len(columns)]:
                founded = f" · founded {version.founded}" if version.founded else ""
                st.markdown(f"**{plain(version.label)}**{founded}")
                st.markdown(f"{md(version.what)}\n\n**Business model**: {md(version.business_model)}")
                if version.lessons:
                    st.markdown("**Lessons**\n" + "\n".join(f"- {md(lesson)}" for lesson in version.lessons))
                st.caption(plain(cites([version.cite])))
        for flag in case.flags:
            _flag(flag)


def _error(error: FactualError) -> None:
    with st.expander(plain(f"⚠️ {error.title} ({error.zh})")):
        st.markdown(f"**The documents say**: {md(error.says)}\n\n**Correct**: {md(error.correct)}")
        st.caption(plain(cites(error.cites)))


def _save_item(checklist: str, item: str, key: str, field: str, version: int | None) -> None:
    value = st.session_state[key]
    if not run_action(lambda s: set_item(session=s, workspace_id=workspace_id, checklist=checklist, item=item,
                                         expected_version=version, **{field: value}),
                      "Checklist saved", in_callback=True) and field == "done":
        st.session_state[key] = not value  # the tick was refused: show what is stored


def _checklist(progress: ChecklistProgress) -> None:
    c = progress.checklist
    st.subheader(plain(f"{c.title} ({c.zh})"))
    st.progress(progress.done / progress.total, text=f"{progress.done} of {progress.total} done")
    for item in c.items:
        state = progress.state[item.id]
        tick_col, note_col = st.columns([3, 2], vertical_alignment="center")
        key = f"chk_{workspace_id}_{c.id}_{item.id}"
        tick_col.checkbox(plain(f"{item.text} ({item.zh})"), value=state.done, key=key,
                          on_change=_save_item, args=(c.id, item.id, key, "done", state.version),
                          help=cites([item.cite]))
        note_key = f"note_{workspace_id}_{c.id}_{item.id}"
        note_col.text_input("Note", value=state.note, key=note_key, label_visibility="collapsed",
                            placeholder="note (who, when, where it is written down)", max_chars=500,
                            on_change=_save_item, args=(c.id, item.id, note_key, "note", state.version))


cases_tab, errors_tab, checklists_tab, frameworks_tab, faq_tab = st.tabs([
    f"Case studies ({len(lib.cases)})", f"Factual errors ({len(lib.errors)})",
    f"Checklists ({sum(len(p.checklist.items) for p in view.checklists)})", "Framework comparison",
    f"FAQ ({len(lib.faq)})"])

with cases_tab:
    flagged = sum(1 for c in lib.cases if c.contradicted)
    st.caption(f"{len(lib.cases)} cases, {flagged} with versions that contradict each other. The documents give no "
               "revenue, funding or customer numbers for any of them.")
    for case in lib.cases:
        _case(case)

with errors_tab:
    st.caption("Facts the documents get wrong, with the correct version (outside knowledge, checked "
               f"{view.full.checked}). Wrong formulas and code are on the Errata page.")
    for error in lib.errors:
        _error(error)

with checklists_tab:
    st.caption("Tick what your startup has done; ticks and notes are saved in this workspace (with their history). "
               "Hover an item for the document and lines it comes from.")
    if not view.checklists:
        st.caption("No checklist item matches the search.")
    for progress in view.checklists:
        _checklist(progress)

with frameworks_tab:
    fw = view.full.frameworks
    st.markdown(f"**TensorFlow vs PyTorch as 003 gives it**, with today's facts beside it. "
                f"*{plain(cites([fw.cite]))}*")
    # One bordered row per aspect: long cells wrap here, where a data grid would cut them off.
    for row in fw.rows:
        with st.container(border=True):
            st.markdown(f"**{plain(row.aspect)}**")
            tf_col, pt_col, today_col = st.columns([2, 2, 3])
            tf_col.markdown(f"*TensorFlow (003)*  \n{md(row.tensorflow)}")
            pt_col.markdown(f"*PyTorch (003)*  \n{md(row.pytorch)}")
            today_col.markdown(f"*Today (as of {row.as_of})*  \n{md(row.today)}")
            st.caption(plain(f"{cites(row.cites)} · sources: {', '.join(row.sources)}"))
    with st.expander("000's own comparison (and its contradiction)"):
        st.table(list(fw.doc000_rows))
        st.caption(plain(cites([fw.doc000_cite])))
    st.caption(f"Choosing: 003 §8.3 gives three criteria (project needs, team familiarity, performance): see the "
               f"Tool selection checklist. {plain(cites([fw.selection]))}")

with faq_tab:
    st.caption("004 §9's questions, its answers, and where FounderDeck does the work.")
    for entry in lib.faq:
        with st.container(border=True):
            st.markdown(f"**{plain(entry.question)}** ({plain(entry.zh)})")
            st.markdown("\n".join(f"- {md(a)}" for a in entry.answer))
            st.markdown(f"**In FounderDeck**: {md(entry.app)}")
            for link in entry.links:
                st.page_link(link.page, label=link.label, icon=":material/arrow_forward:")
            st.caption(plain(cites([entry.cite])))
