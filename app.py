"""FounderDeck — the router. Pages live in pages/, logic in analytics/, modelhub/ and db/."""

from __future__ import annotations

import streamlit as st

# (section, file, title, icon). Every page a later issue adds joins here, and the AppTest and
# browser tests pick it up from this list.
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("Plan", "pages/overview.py", "Overview", ":material/dashboard:"),
    ("Plan", "pages/projects.py", "Projects", ":material/checklist:"),
    ("Plan", "pages/roadmap.py", "Roadmap", ":material/view_timeline:"),
    ("Plan", "pages/resources.py", "Resources", ":material/groups:"),
    ("Plan", "pages/risks.py", "Risks", ":material/warning:"),
    ("Plan", "pages/data.py", "Import & export", ":material/import_export:"),
    ("Economics", "pages/compute_cost.py", "Compute cost", ":material/memory:"),
    ("Economics", "pages/revenue.py", "Revenue", ":material/payments:"),
    ("Economics", "pages/market.py", "Market", ":material/query_stats:"),
    ("Measure", "pages/modelhub.py", "Modelhub", ":material/model_training:"),
    ("Knowledge", "pages/library.py", "Library", ":material/local_library:"),
    ("Knowledge", "pages/errata.py", "Errata", ":material/fact_check:"),
    # Titled unlike its section: a section named like its page makes a sidebar click ambiguous.
    ("Pitch", "pages/pitch.py", "Investor pitch", ":material/slideshow:"),
)


def run() -> None:
    st.set_page_config(page_title="FounderDeck", page_icon=":material/rocket_launch:", layout="wide")
    from pages._auth import require_login
    from pages._components import flash, workspace_sidebar

    require_login()
    from pages._pitch_mode import pitch_mode, serve_pitch

    if pitch_mode():  # `streamlit run app.py -- --pitch`: the pitch of one workspace, read-only, no navigation
        serve_pitch()
        return

    sections: dict[str, list] = {}
    for section, path, title, icon in PAGES:
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon))
    # expanded=True: with 15+ pages Streamlit would fold the tail behind "View more", hiding Knowledge and Pitch
    page = st.navigation(sections, expanded=True)
    workspace_sidebar()
    flash()
    page.run()


if __name__ == "__main__":
    run()
