"""Investor pitch: the workspace read in a deck's order, exportable as one offline HTML file or a PDF.

Salaries, private risks and private revenue and cost scenarios are never read (see db/views_pitch.py). In
read-only pitch mode (`make pitch`) this is the only page and the narrative form is not drawn.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics.pdf_print import CHROMIUM, PdfError, html_to_pdf
from analytics.pitch import Deck
from analytics.pitch_export import deck_html, figure
from db.pitch import USES, save_pitch
from db.views_pitch import pitch_view
from pages._components import illustrative_banner, plain, read, require_workspace, run_action
from pages._pitch_mode import pitch_mode

workspace_id = require_workspace()
READ_ONLY = pitch_mode()
with read() as session:
    view = pitch_view(session=session, workspace_id=workspace_id)
deck = view.deck
stem = re.sub(r"[^A-Za-z0-9]+", "-", deck.workspace).strip("-").lower() or "workspace"

st.title(f"Pitch · {plain(deck.workspace)}")
illustrative_banner(deck.illustrative)
for note in view.warnings:
    st.caption(plain(note))


def _html(deck: Deck = deck) -> str:
    return deck_html(deck)


def _pdf(deck: Deck = deck) -> bytes:
    try:
        return html_to_pdf(deck_html(deck))
    except PdfError as exc:  # the button cannot show an error once clicked: the file says what went wrong
        return f"The PDF could not be printed: {exc}".encode()


cols = st.columns([1, 1, 3])
# Built when pressed (a callable), not on every run: the HTML carries plotly.js and the PDF starts Chromium.
cols[0].download_button("Download HTML", _html, f"{stem}-pitch.html", "text/html", key="pitch_html",
                        icon=":material/download:", on_click="ignore",
                        help="One self-contained file: charts embedded, works offline, opens in any browser.")
cols[1].download_button("Download PDF", _pdf, f"{stem}-pitch.pdf", "application/pdf", key="pitch_pdf",
                        icon=":material/picture_as_pdf:", on_click="ignore", disabled=not Path(CHROMIUM).exists(),
                        help="Printed from the same HTML by headless Chromium.")
cols[2].caption("Left out of the pitch and its exports: salaries, private risks, private revenue and cost "
                "scenarios" + ("." if READ_ONLY else ", and the cost scenarios marked below."))


def _lines(lines: list[str]) -> None:
    bullets: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("- "):
            bullets.append("- " + plain(line[2:]))
            continue
        if bullets:
            st.markdown("\n".join(bullets))
            bullets = []
        if line:
            st.markdown(plain(line))


for section in deck.sections:
    with st.container(border=True, key=f"pitch_section_{section.key}"):
        st.subheader(section.title)
        if section.missing:
            st.caption(plain(section.missing))
        _lines(section.lines)
        for k, table in enumerate(section.tables):
            st.markdown(f"**{plain(table.title)}**")
            st.dataframe(pd.DataFrame(table.rows, columns=table.columns), hide_index=True,
                         key=f"pitch_table_{section.key}_{k}")
        for chart in section.charts:
            st.plotly_chart(figure(chart), width="stretch", key=f"pitch_chart_{chart.key}")

if READ_ONLY:
    st.stop()

# ---- the narrative (not drawn in pitch mode) ---------------------------------------------------------------
NONCE, LOADED = f"pitch_nonce_{workspace_id}", f"pitch_loaded_{workspace_id}"
st.session_state.setdefault(NONCE, 0)
st.session_state.setdefault(LOADED, view.narrative.version)
V = f"{workspace_id}_{st.session_state[NONCE]}"
content = view.narrative.content


def _fresh() -> None:
    st.session_state[NONCE] += 1
    st.session_state.pop(LOADED, None)


st.divider()
st.subheader("Narrative")
st.caption("What the deck says in words. An empty field leaves its section saying what is missing.")
if st.session_state[LOADED] != view.narrative.version:
    st.warning("The narrative was changed elsewhere since you opened it; saving now is refused.",
               icon=":material/sync_problem:")
    st.button("Reload the stored narrative", on_click=_fresh, key="pitch_reload")
choices = sorted(set(view.cost_scenarios) | set(content["private_cost_scenarios"]))
with st.form(f"pitch_narrative_{V}"):
    values = {
        "problem": st.text_area("Problem", content["problem"], key=f"pitch_problem_{V}"),
        "solution": st.text_area("Solution", content["solution"], key=f"pitch_solution_{V}"),
        "why_now": st.text_area("Why now", content["why_now"], key=f"pitch_why_now_{V}"),
        "ask_usd": st.number_input("The ask (USD)", value=content["ask_usd"], min_value=0.0, step=100_000.0,
                                   key=f"pitch_ask_{V}"),
        "milestones_money_buys": st.text_area("Milestones the money buys", content["milestones_money_buys"],
                                              key=f"pitch_buys_{V}"),
    }
    labels = {"rd": "R&D (%)", "marketing": "Marketing (%)", "operations": "Operations (%)"}
    split = st.columns(len(USES))
    shares = {k: split[n].number_input(labels[k], 0.0, 100.0, 100.0 * content["use_of_funds"][k], 5.0,
                                       key=f"pitch_use_{k}_{V}") for n, k in enumerate(USES)}
    values["use_of_funds"] = {k: v / 100.0 for k, v in shares.items()}
    values["private_cost_scenarios"] = st.multiselect(
        "Cost scenarios kept out of the pitch", choices, content["private_cost_scenarios"], key=f"pitch_private_{V}",
        help="Their serving cost is not shown (scenarios flagged private on the Compute cost page never are).")
    if st.form_submit_button("Save narrative"):
        loaded = st.session_state[LOADED]
        if run_action(lambda s: save_pitch(session=s, workspace_id=workspace_id, content=values,
                                           expected_version=loaded), "Pitch narrative saved"):
            _fresh()
            st.rerun()
