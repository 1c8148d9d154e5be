"""Errata: every wrong formula, worked example and code listing of the documents, with the correct version and
a recomputation done now; each linked to the modelhub entries that reproduce or correct it."""

from __future__ import annotations

import streamlit as st

from analytics.errata import ErrataInputs
from db.views_library import errata_view
from pages._components import plain, require_workspace

require_workspace()


def md(text: str) -> str:
    """Erratum text for Markdown: inert, except `code spans`."""
    parts = str(text).split("`")
    return "".join(f"`{p}`" if i % 2 else plain(p) for i, p in enumerate(parts))


st.title("Errata")
st.caption("Where the documents' formulas, worked examples and code are wrong: what they print (with document "
           "and lines), what is wrong, the correct version, and the numbers recomputed here and now. FounderDeck "
           "implements the correct versions; the modelhub keeps the documents' own beside them.")
with st.expander("Inputs of the GAN and attention examples (the documents' values by default)"):
    cols = st.columns(4)
    inputs = ErrataInputs(
        d_fake=cols[0].number_input("D(G(z)), generator example", 0.01, 0.99, 0.9, 0.05, key="errata_d_fake"),
        d_real=cols[1].number_input("D(x), discriminator example", 0.01, 0.99, 0.8, 0.05, key="errata_d_real"),
        d_fake_disc=cols[2].number_input("D(G(z)), discriminator example", 0.01, 0.99, 0.2, 0.05,
                                         key="errata_d_fake_disc"),
        seed=int(cols[3].number_input("Attention vectors' seed", 0, 10_000, 0, 1, key="errata_seed")),
    )
view = errata_view(inputs=inputs)
st.caption(f"{len(view.errata)} errata, in the documents' order.")

for erratum in view.errata:
    with st.expander(plain(f"{erratum.title} · {erratum.cite.short}")):
        st.caption(plain(f"{erratum.kind} · {erratum.cite.label} · «{erratum.cite.quote}»"))
        st.markdown("**What the document says**")
        st.code(erratum.says, language=None, wrap_lines=True)
        st.markdown(f"**What is wrong**: {md(erratum.problem)}")
        st.markdown(f"**Correct version**: {md(erratum.correct)}")
        # Four significant digits: the unscaled attention weights run down to 1e-45, which a fixed format
        # would print as a row of zeros.
        floats = erratum.table.select_dtypes("float").columns
        st.dataframe(erratum.table, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4g") for c in floats})
        st.caption(md(erratum.table_note))
        links = view.links[erratum.id]
        if links:
            st.markdown("**In the modelhub**: " + ", ".join(
                f"`{link.name}` ({'as written' if link.as_written else 'corrected'})" for link in links))
            st.page_link("pages/modelhub.py", label="Open the Modelhub", icon=":material/model_training:")
