"""Compute cost: what training costs, what each 1M tokens costs to serve, and API vs self-hosting."""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from analytics.compute_report import CostRequest, scenario_values
from db import repo
from db.cost_scenarios import (
    GPU_EDIT_COLUMNS,
    add_gpu,
    apply_gpu_edits,
    delete_scenario,
    restore_scenario,
    save_scenario,
)
from db.gpu_prices import PRICE_EDIT_COLUMNS, save_price_grid
from db.models import GpuOverride
from db.views_compute import compute_cost
from pages import _compute_charts as charts
from pages._components import illustrative_banner, plain, read, require_workspace, run_action, usd

workspace_id = require_workspace()
DEFAULT = CostRequest()
KINDS = {"on_demand": "on-demand", "reserved": "reserved (1-year)", "spot": "spot / interruptible"}
# Widgets shown in billions/millions; the request is in counts.
SCALE = {"params": 1e9, "active_params": 1e9, "tokens": 1e9, "serve_params": 1e9, "tokens_per_day": 1e6,
         "utilisation": 0.01, "failure_overhead": 0.01}  # shares shown in per cent


def _request() -> CostRequest:
    """The form's last submitted values (defaults on the first visit)."""
    values = {}
    for f in fields(CostRequest):
        key = f"cc_{f.name}"
        if key in st.session_state:
            value = st.session_state[key]
            # Rounded so that 35 % is 0.35, not 0.35000000000000003, in a saved scenario's inputs.
            values[f.name] = round(value * SCALE[f.name], 12) if value is not None and f.name in SCALE else value
    return CostRequest(**values)


def _shown(name: str) -> float | None:
    value = getattr(DEFAULT, name)
    return _to_widget(name, value)


def _to_widget(name: str, value: float | None) -> float | None:
    """A request value in the widget's unit (billions, millions, per cent); rounded so 0.1 shows as 10 %."""
    return round(value / SCALE[name], 9) if value is not None and name in SCALE else value


def _load_scenario(inputs: dict) -> None:
    """Put a saved scenario's inputs back into the form (runs before the widgets are drawn)."""
    known = {f.name for f in fields(CostRequest)}
    for name, value in inputs.items():
        if name in known:
            st.session_state[f"cc_{name}"] = _to_widget(name, value)


request = _request()
run_id = st.session_state.get("cc_run")
with read() as session:
    view = compute_cost(session=session, workspace_id=workspace_id, request=request, run_id=run_id)

st.title("Compute cost")
illustrative_banner(view.illustrative)
st.caption("Training and serving cost from a dated GPU catalogue. Form defaults (a 7B model on 1T tokens, "
           "1B tokens a day) are **illustrative**; every figure below names its source in *Assumptions*.")

gpu_keys = list(view.gpus.index)
with st.form("compute_form"):
    train_half, serve_half = st.columns(2, gap="large")
    train_half.markdown("**Training**")
    serve_half.markdown("**Serving**")
    t1, t2 = train_half.columns(2)
    s1, s2 = serve_half.columns(2)
    t1.selectbox("GPU", gpu_keys, index=gpu_keys.index(request.gpu) if request.gpu in gpu_keys else 0,
                 key="cc_gpu", format_func=lambda k: f"{k} — {view.gpus.loc[k, 'name']}",
                 help="Used for training and serving. Catalogue key — name.")
    t2.selectbox("Precision", ["bf16", "fp8"], key="cc_precision",
                 help="fp8: the fp8 dense peak and fp8 MFU range; served weights stored in 1 byte.")
    t1.number_input("Parameters (billions)", min_value=0.001, value=_shown("params"), key="cc_params")
    t2.number_input("Active parameters, MoE (billions)", min_value=0.001, value=None, key="cc_active_params",
                    placeholder="dense", help="Empty for a dense model. FLOPs use active parameters, memory the total.")
    # A sample-based benchmark run (a CNN, an MLP) calibrates in samples: the same field then counts samples.
    unit = view.run.unit if view.run is not None else "token"
    t1.number_input(f"Training {unit}s (billions)", min_value=0.001, value=_shown("tokens"), key="cc_tokens",
                    help="Samples seen (epochs × data set size) for the chosen sample-based run." if unit == "sample"
                    else None)
    t2.number_input("GPUs in the cluster", min_value=1, value=DEFAULT.n_gpus, step=8, key="cc_n_gpus")
    t1.number_input("MFU (0–1)", min_value=0.01, max_value=1.0, value=None, key="cc_mfu",
                    placeholder="catalogue default",
                    help="Model FLOPs utilisation. Empty: by GPU and model size (llm-foundry, torchtitan; see "
                         "Assumptions).")
    t2.number_input("$ per GPU-hour", min_value=0.01, value=None, key="cc_price", placeholder="catalogue price",
                    help="Empty: the catalogue's median price of the kind below and its low–high range.")
    t1.selectbox("Price kind", list(KINDS), format_func=KINDS.get, key="cc_price_kind",
                 help="Which dated prices (training and serving): your prices of that kind where you have "
                      "them, else a workspace GPU row's one price, else the catalogue's.")
    t2.checkbox("Attention FLOPs (12·L·d·s per token)", value=True, key="cc_attention",
                help="Off: 6·N·D alone, the textbook rule (7B × 1T tokens = 4.2e22 FLOPs).")
    t1.number_input("Layers", min_value=1, value=None, step=1, key="cc_n_layers", placeholder="inferred",
                    help="Empty: inferred from the (active) parameters, d_model = 128 × layers.")
    t2.number_input("d_model (width)", min_value=64, value=None, step=64, key="cc_d_model", placeholder="inferred")
    t1.number_input("Sequence length (tokens)", min_value=128, value=DEFAULT.seq_len, step=1024, key="cc_seq_len")
    t2.slider("Failure / restart overhead (% of compute time)", 0.0, 50.0, _shown("failure_overhead"), 1.0,
              format="%.0f%%", key="cc_failure_overhead")
    s1.number_input("Served model parameters (billions)", min_value=0.001, value=None, key="cc_serve_params",
                    placeholder="same as trained")
    s2.number_input("Tokens per day (millions, in + out)", min_value=0.001, value=_shown("tokens_per_day"),
                    key="cc_tokens_per_day")
    s1.number_input("GPUs per replica (tensor parallel)", min_value=1, value=DEFAULT.gpus_per_replica,
                    key="cc_gpus_per_replica")
    s2.number_input("Batch size (concurrent sequences)", min_value=1, value=DEFAULT.batch_size, key="cc_batch_size")
    s1.number_input("Prompt tokens per request", min_value=1, value=DEFAULT.prompt_tokens, key="cc_prompt_tokens")
    s2.number_input("Output tokens per request", min_value=1, value=DEFAULT.output_tokens, key="cc_output_tokens")
    s1.slider("Utilisation (% of paid GPU-hours busy)", 5.0, 100.0, _shown("utilisation"), 5.0, format="%.0f%%",
              key="cc_utilisation")
    s2.slider("Peak factor (peak ÷ average load)", 1.0, 5.0, DEFAULT.peak_factor, 0.5, format="%.1f×",
              key="cc_peak_factor")
    s1.number_input("KV heads (grouped-query attention)", min_value=1, value=DEFAULT.n_kv_heads, key="cc_n_kv_heads",
                    help="KV cache per token = 2 · layers · KV heads · head size · 2 B (Llama 3 8B: 8 × 128).")
    s2.number_input("Head size", min_value=8, value=DEFAULT.head_dim, step=8, key="cc_head_dim")
    s1.number_input("Measured output tokens/s per replica", min_value=0.001, value=None,
                    key="cc_measured_output_tps", placeholder="roofline estimate")
    st.form_submit_button("Estimate", type="primary")

if view.runs.empty:
    st.caption(plain(view.runs_note))
else:
    labels = {i: f"#{i} {r.model_name} {r.config_name} on {r.device_name}" for i, r in view.runs.iterrows()}
    st.selectbox("Calibrate with a benchmark run", [None, *labels], key="cc_run",
                 format_func=lambda i: "none (catalogue defaults)" if i is None else labels[i],
                 help="Its measured FLOPs per sample/token replace the 6·N·D rule; its MFU replaces the default "
                      "when it was measured on a GPU.")
    if view.run is not None:
        st.checkbox("Use the measured MFU anyway", key="cc_use_measured_mfu",
                    help="A CPU's MFU (against a matmul probe) is a different yardstick from a GPU's: by default it "
                         "is not carried over to a GPU and the default MFU is used.")

report = view.report
if report is None:
    st.error(plain(view.error or "no estimate"), icon=":material/error:")
else:
    t, s = report.training, report.serving
    st.subheader(f"Training on {request.n_gpus} × {plain(report.gpu_name)}")
    if t is None:
        st.error(plain(report.training_error or ""), icon=":material/error:")
    else:
        cards = st.columns(5)
        cards[0].metric("Training FLOPs", f"{t.flops:.3g}", border=True, help=t.flops_method)
        cards[1].metric("GPU-hours", f"{t.billed_gpu_hours:,.0f}", border=True,
                        help=f"{t.gpu_hours:,.0f} of compute + failure and checkpoint overhead")
        cards[2].metric("Wall-clock", f"{t.wall_clock_days:,.1f} days", border=True,
                        help=f"{t.units_per_s_per_gpu:,.0f} {t.unit}s/s per GPU at the base MFU, "
                             f"{t.units_per_s_per_gpu * t.n_gpus:,.0f} for the cluster (compute time).")
        cards[3].metric("Cost (base)", usd(t.cost_base_usd), border=True,
                        delta=f"{usd(t.cost_low_usd)} – {usd(t.cost_high_usd)}", delta_color="off", delta_arrow="off",
                        help="Low: high MFU × low price; high: low MFU × high price; storage included.")
        need = t.memory_recompute.min_gpus
        cards[4].metric("Min. GPUs to fit", "does not fit" if need is None else f"{need}", border=True,
                        delta="fits" if t.fits else "too few GPUs", delta_color="normal" if t.fits else "inverse",
                        delta_arrow="off", help="With full activation recomputation and ZeRO-3/FSDP sharding.")
        left, right = st.columns(2)
        left.markdown("**Cost vs MFU**")
        left.plotly_chart(charts.cost_vs_mfu(report), width="stretch")
        right.markdown(f"**Cost vs GPU type** (each at its default MFU and median {KINDS[request.price_kind]} "
                       "catalogue price; GPUs without a price of that kind are left out)")
        right.plotly_chart(charts.cost_vs_gpu(report), width="stretch")
        st.markdown("**Memory per GPU** (weights, gradients and optimiser sharded over the cluster)")
        st.plotly_chart(charts.memory_bars(report.memory), width="stretch")
    if report.provenance is not None:
        st.markdown("**Calibration: what is measured and what is assumed**")
        if report.calibration_basis == "same_gpu":
            st.caption(f"MFU {plain(report.calibration_note or '')}.")
        else:  # carried over from another device, or not used at all: say so where the figures are
            st.warning(f"MFU: {plain(report.calibration_note or '')}.", icon=":material/warning:")
        st.dataframe(report.provenance, hide_index=True, width="stretch")

    st.subheader("Serving")
    if s is None:
        st.error(plain(report.serving_error or ""), icon=":material/error:")
    else:
        # The fleet figures are what the fleet sized for this load costs per token (saved as COGS); the
        # per-replica ones are the textbook $/h ÷ (tokens/s × 3600 × utilisation) at the utilisation input.
        cards = st.columns(4)
        cards[0].metric("Fleet $ / 1M input tokens", f"${s.fleet_usd_per_m_input:,.3f}", border=True,
                        help="Fleet cost per month spread over the month's tokens by GPU time, at the fleet's own "
                             "utilisation. This is what a saved scenario stores as COGS.")
        cards[1].metric("Fleet $ / 1M output tokens", f"${s.fleet_usd_per_m_output:,.3f}", border=True,
                        help=f"Blended over the mix: ${s.fleet_usd_per_m_blended:,.3f} = fleet per month ÷ tokens "
                             "per month.")
        cards[2].metric("GPUs for the load", f"{s.gpus}", border=True,
                        delta=f"{s.fleet_utilisation:.0%} busy", delta_color="off", delta_arrow="off",
                        help=f"Sized for {request.peak_factor:g}× the average load, in whole replicas.")
        cards[3].metric("Fleet per month", usd(s.monthly_usd), border=True,
                        help=f"{s.monthly_tokens / 1e9:,.2f}B tokens a month (730 h).")
        cards = st.columns(4)
        at = f"{request.utilisation:.0%}"
        cards[0].metric("$ / 1M input tokens, one replica at your utilisation", f"${s.usd_per_m_input:,.3f}",
                        border=True, help=f"One replica busy {at} of its paid hours: $/h ÷ (prefill tokens/s × 3600 "
                                          f"× {at}) × 1e6.")
        cards[1].metric("$ / 1M output tokens, one replica at your utilisation", f"${s.usd_per_m_output:,.3f}",
                        border=True, help=f"One replica busy {at}: $/h ÷ (decode tokens/s × 3600 × {at}) × 1e6.")
        cards[2].metric("Prefill tokens/s per replica", f"{s.prefill_tokens_per_s:,.0f}", border=True,
                        help=f"{s.prefill_bound}-bound per prompt")
        cards[3].metric("Decode tokens/s per replica", f"{s.decode_tokens_per_s:,.0f}", border=True,
                        help=f"batch {s.batch} ({s.bound})")
        st.markdown("**Serving cost vs utilisation** (USD per 1M tokens; the dashed line is your utilisation)")
        st.plotly_chart(charts.serving_curve(report), width="stretch")
        st.markdown(f"**API vs self-hosting at this load** ({request.tokens_per_day / 1e6:,.0f}M tokens a day; "
                    "public API prices, dated)")
        st.dataframe(report.break_even.drop(columns=["source"]), hide_index=True, width="stretch",
                     column_config=charts.BREAK_EVEN_COLUMNS)

    with st.expander("Assumptions and sources", expanded=False):
        st.dataframe(report.assumptions, hide_index=True, width="stretch")

    with st.form("save_scenario", clear_on_submit=True):
        st.markdown("**Save as a cost scenario** (the revenue engine reads its $/1M tokens and training cost)")
        name = st.text_input("Scenario name", max_chars=120, key="scenario_name")
        private = st.checkbox("Private (kept out of the pitch view and exports)", key="scenario_private")
        booked, months_box = st.columns([2, 1], vertical_alignment="bottom")
        treatment = booked.radio("Training cost in the revenue plan", ["one-off", "amortised"], horizontal=True,
                                 key="scenario_treatment",
                                 help="One-off: booked in one month. Amortised: spread evenly over the months.")
        months = months_box.number_input("Amortised over (months)", min_value=1, max_value=120, value=24,
                                         key="scenario_months")
        amortise = int(months) if treatment == "amortised" else None
        # The list below was read before the save: rerun so the new scenario is in it at once.
        if st.form_submit_button("Save scenario") and run_action(
            lambda session: save_scenario(session=session, workspace_id=workspace_id,
                                          values=scenario_values(report, name=name, private=private,
                                                                 amortise_months=amortise)),
            f"Saved cost scenario {name!r}",
        ):
            st.rerun()

st.subheader("Saved cost scenarios")
if view.scenarios.empty:
    st.caption("No cost scenarios saved yet.")
else:
    st.dataframe(view.scenarios, hide_index=True, width="stretch", column_config={
        "name": "Scenario", "kind": "Kind", "gpu": "GPU",
        "serving_usd_per_m_input": st.column_config.NumberColumn("Fleet $/1M input", format="$%.4f"),
        "serving_usd_per_m_output": st.column_config.NumberColumn("Fleet $/1M output", format="$%.4f"),
        "training_cost_usd": st.column_config.NumberColumn("Training cost", format="dollar"),
        "training_amortise_months": st.column_config.NumberColumn("Amortised (months)",
                                                                  help="empty: one-off training cost"),
        "private": "Private", "created_at": st.column_config.DatetimeColumn("Saved (UTC)"),
    })
    names = view.scenarios["name"].to_dict()
    pick, load, drop = st.columns([4, 1, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Saved scenario", list(names), format_func=names.get, key="cc_scenario_pick")
    load.button("Load into the form", key="cc_scenario_load", on_click=_load_scenario,
                args=(view.scenario_inputs.get(chosen, {}),))
    if drop.button("Delete", key="cc_scenario_delete", icon=":material/delete:") and run_action(
        lambda session: delete_scenario(session=session, workspace_id=workspace_id, scenario_id=chosen,
                                        expected_version=view.scenario_versions[chosen]),
        f"Deleted cost scenario {names[chosen]!r}: restore it under 'Deleted cost scenarios'",
    ):
        st.rerun()
if not view.deleted.empty:
    # Deletes are soft: the scenario and its history stay, and come back from here (or the Projects page's list).
    with st.expander(f"Deleted cost scenarios ({len(view.deleted)}), restore from here"):
        for scenario_id, gone in view.deleted.iterrows():
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(f"**{plain(gone['name'])}** on {plain(gone['gpu'] or 'no GPU')}, deleted "
                          f"{gone['deleted_at']:%Y-%m-%d %H:%M} UTC")
            if right.button("Restore", key=f"cc_restore_{scenario_id}", icon=":material/undo:") and run_action(
                lambda session, i=int(scenario_id): restore_scenario(session=session, workspace_id=workspace_id,
                                                                    scenario_id=i),
                f"Restored cost scenario {gone['name']!r}",
            ):
                st.rerun()

st.subheader("GPU catalogue")
st.caption("Dense peaks (no sparsity) in TFLOP/s, memory in GB, bandwidth in TB/s, each row with its source and date.")
st.dataframe(view.gpus[[c for c in charts.CATALOGUE_ORDER if c in view.gpus.columns]], width="stretch",
             column_config={"_index": st.column_config.TextColumn("Key"), **charts.CATALOGUE_COLUMNS})
with st.expander("GPU prices ($ per GPU-hour, by provider and kind, dated; with this workspace's prices)"):
    st.dataframe(view.prices, hide_index=True, width="stretch", column_config=charts.PRICE_COLUMNS)
    st.caption("A GPU with no row of a kind has no price of that kind: enter one rather than guess. Your price "
               "rows of a GPU and kind replace the bundled rows of that GPU and kind; a workspace GPU row's one "
               "price stands for every kind you have not priced.")
st.markdown("**Your prices** (stored in this workspace): a negotiated or quoted $ per GPU-hour by provider and "
            "kind. Add, edit or delete rows, then *Save prices*; one bad cell and nothing is saved.")
price_nonce = st.session_state.setdefault("price_grid_nonce", 0)
price_key = f"price_grid_{price_nonce}"
with st.container(key="price_grid_box"):
    st.data_editor(view.own_prices[list(PRICE_EDIT_COLUMNS)].astype({"usd_per_gpu_hour": "float64"}), key=price_key,
                   hide_index=True, num_rows="dynamic", width="stretch",
                   column_config=charts.price_edit_columns(gpu_keys, list(KINDS)))
price_ids = [int(i) for i in view.own_prices["id"]]
price_versions = [int(v) for v in view.own_prices["version"]]


def _save_prices() -> None:
    changes = st.session_state.get(price_key, {})
    if run_action(lambda session: save_price_grid(session=session, workspace_id=workspace_id, ids=price_ids,
                                                  versions=price_versions, changes=changes),
                  lambda r: f"Saved prices: {r.describe()}" if r.total else "Nothing to save: edit cells first",
                  in_callback=True):
        st.session_state["price_grid_nonce"] = price_nonce + 1  # a fresh grid shows the saved rows


st.button("Save prices", on_click=_save_prices, key="price_grid_save", icon=":material/save:")
with st.expander("Add or override a GPU (stored in this workspace)"), st.form("gpu_row", clear_on_submit=True):
    a, b, c = st.columns(3)
    values = {
        "gpu": a.text_input("Key (an existing key overrides it)", key="gpu_key"),
        "name": b.text_input("Name", key="gpu_name"),
        "as_of": c.text_input("As of (date of the source)", key="gpu_as_of"),
        "bf16_tflops": a.number_input("bf16 dense TFLOP/s", min_value=0.0, value=None, key="gpu_bf16"),
        "fp8_tflops": b.number_input("fp8 dense TFLOP/s", min_value=0.0, value=None, key="gpu_fp8"),
        "fp32_tflops": c.number_input("fp32 TFLOP/s", min_value=0.0, value=None, key="gpu_fp32"),
        "memory_gb": a.number_input("Memory (GB)", min_value=0.0, value=None, key="gpu_memory"),
        "bandwidth_tbs": b.number_input("Bandwidth (TB/s)", min_value=0.0, value=None, key="gpu_bandwidth"),
        "usd_per_gpu_hour": c.number_input("$ per GPU-hour", min_value=0.0, value=None, key="gpu_price"),
        "source": a.text_input("Source", key="gpu_source"),
    }
    if st.form_submit_button("Add GPU row") and run_action(
        lambda session: add_gpu(session=session, workspace_id=workspace_id, values=values),
        f"Added GPU {values['gpu']!r} to this workspace",
    ):
        st.rerun()
own = view.own_gpus
if not own.empty:
    st.markdown("**This workspace's GPU rows**: edit cells, then *Save GPU rows*. Every row is checked; "
                "one bad cell and nothing is saved.")
    nonce = st.session_state.setdefault("gpu_grid_nonce", 0)
    grid_key = f"gpu_grid_{nonce}"
    with st.container(key="gpu_grid_box"):
        st.data_editor(own.reset_index()[list(GPU_EDIT_COLUMNS)], key=grid_key, hide_index=True, num_rows="fixed",
                       width="stretch", column_config=charts.GPU_COLUMNS)
    ids, versions = [int(i) for i in own["id"]], [int(v) for v in own["version"]]

    def _save_gpus() -> None:
        edited = st.session_state.get(grid_key, {}).get("edited_rows", {})
        if run_action(lambda session: apply_gpu_edits(session=session, workspace_id=workspace_id, ids=ids,
                                                      versions=versions, edited=edited),
                      lambda n: f"Saved GPU rows: {n} changed" if n else "Nothing to save: edit cells first",
                      in_callback=True):
            st.session_state["gpu_grid_nonce"] = nonce + 1  # a fresh grid shows the saved rows

    pending = len(st.session_state.get(grid_key, {}).get("edited_rows", {}))
    save, note = st.columns([1, 4], vertical_alignment="center")
    save.button("Save GPU rows", on_click=_save_gpus, key="gpu_grid_save", icon=":material/save:")
    if pending:
        note.warning(f"Unsaved: {pending} GPU row(s) changed. Press Save to keep them.", icon=":material/edit_note:")
    pick, drop = st.columns([4, 1], vertical_alignment="bottom")
    remove = pick.selectbox("Remove a workspace GPU row", list(own.index), key="gpu_remove",
                            help="The bundled figures come back for a bundled key. Restore a removed row on the "
                                 "Projects page, under Recently deleted.")
    if drop.button("Remove", key="gpu_remove_button", icon=":material/delete:") and run_action(
        lambda session: repo.soft_delete(session=session, model=GpuOverride, row_id=int(own.loc[remove, "id"])),
        f"Removed GPU row {remove!r} (restore it on the Projects page, under Recently deleted)",
    ):
        st.rerun()
