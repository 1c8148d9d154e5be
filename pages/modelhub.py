"""Modelhub: the documents' models, trained and benchmarked in background jobs; results, samples, figures
and errata."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from db.views_modelhub import job_detail, modelhub_view, newest_figures, runs_export
from modelhub import jobs
from modelhub.datasets import DatasetError, uploads
from modelhub.registry import CONFIG_NAMES, RegistryError
from pages import _modelhub_figures as figures
from pages._components import _ensure_router, plain, problems, read, session_factory

POLL_SECONDS = 2.0  # how often the progress panel re-reads the job from the database
ACTIVE_JOB = "mh_active_job"

_ensure_router()  # the modelhub is global (not per workspace), but it still runs inside the router
st.title("Modelhub")
st.caption("The source documents' models, implemented correctly, trained on offline data and benchmarked on this "
           "machine. Training and benchmarks run as background jobs; this page only reads their progress.")

with read() as session:
    view = modelhub_view(session=session)


def _settings(text: str) -> dict[str, str]:
    """'key=value' lines → overrides; a malformed line is refused by number."""
    out = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise RegistryError(f"settings line {number}: write key=value, not {line.strip()!r}")
        out[key.strip()] = value.strip()
    return out


def _start(kind: str, model: str, config: str, device: str, text: str) -> None:
    try:
        job_id = jobs.submit(session_factory(), kind=kind, model_name=model, config_name=config,
                             overrides=_settings(text), device=device)
    except RegistryError as exc:
        st.session_state["mh_error"] = str(exc)
        return
    st.session_state[ACTIVE_JOB] = job_id
    st.session_state["mh_started"] = f"Started {kind} job {job_id} for {model} ({config})."


def _cancel(job_id: int) -> None:
    jobs.cancel(session_factory(), job_id)


def _resume(job_id: int) -> None:
    try:
        st.session_state[ACTIVE_JOB] = jobs.resume(session_factory(), job_id)
    except ValueError as exc:
        st.session_state["mh_error"] = str(exc)


models_tab, run_tab, results_tab, learned_tab, errata_tab = st.tabs(
    ["Models", "Train & benchmark", "Results", "What the models learned", "Errata"])

with models_tab:
    st.dataframe(
        # Every registered model at once: the registry is a few dozen rows, and a scrolled ten-row box hid a third.
        view.registry.drop(columns=["description"]), hide_index=True, width="stretch", height="content",
        column_config={
            "name": "Model", "family": "Family", "task": "Task", "source": "Documents' section", "dataset": "Data",
            "metric": st.column_config.TextColumn("Metric", help="↑ higher is better, ↓ lower is better"),
            "quality_bar": st.column_config.TextColumn("Bar", help="The quality bar the model must meet."),
            "params": st.column_config.NumberColumn("Parameters", format="localized",
                                                    help="From the newest benchmark run of the model; before "
                                                         "one, counted from its default config. scikit-learn "
                                                         "and counting models have theirs only once fitted."),
            "last_result": st.column_config.NumberColumn("Last result", format="%.4g"),
            "result_from": "Measured by", "passes": st.column_config.CheckboxColumn("Meets bar"),
            "units_per_second": st.column_config.NumberColumn("Units/s", format="%.3g"),
            "as_written_of": "As written (of)",
        },
    )
    st.caption("Empty results mean the model has not been trained or benchmarked on this database yet.")

with run_tab:
    if message := st.session_state.pop("mh_error", None):
        st.error(problems(message), icon=":material/error:")
    if message := st.session_state.pop("mh_started", None):
        st.success(plain(message), icon=":material/play_circle:")
    with st.form("mh_start"):
        cols = st.columns(4)
        model = cols[0].selectbox("Model", view.model_names, key="mh_model",
                                  index=view.model_names.index("mlp") if "mlp" in view.model_names else 0)
        kind = cols[1].radio("Job", ["train", "bench"], key="mh_kind", horizontal=True,
                             help="bench = timed steps (throughput, FLOPs, MFU) and then a training run")
        config = cols[2].selectbox("Config", CONFIG_NAMES, key="mh_config",
                                   help="smoke: seconds on a CPU; default: minutes on a CPU; scale: for a GPU")
        device = cols[3].selectbox("Device", ["auto", "cpu", "cuda", "mps"], key="mh_device")
        text = st.text_area("Settings (one key=value per line, optional)", key="mh_settings", height=80,
                            placeholder="steps=200\nlr=0.001")
        submitted = st.form_submit_button("Start job", type="primary")
    if submitted:
        _start(kind, model, config, device, text)
        st.rerun()

    with st.expander("Use your own data"):
        st.caption("A zip of images in one folder per label (trains the image models: `mlp`, `lenet`, `resnet`, …), "
                   "a UTF-8 text file (the language models: `ngram`, `gpt`, `lstm`), or a CSV with `text` and "
                   "`label` columns (the classifiers: `naive_bayes`, `linear_svm`, …). Checked, then stored under "
                   f"its SHA-256; the limit is {uploads.MAX_UPLOAD_BYTES // 2**20} MB.")
        upload_kind = st.radio("Kind", list(uploads.KINDS), horizontal=True, key="mh_upload_kind")
        upload = st.file_uploader("File", type=["zip", "txt", "csv", "tsv"], key="mh_upload")
        if upload is not None and st.button("Check and store", key="mh_store"):
            try:
                stored = uploads.store(upload.getvalue(), upload_kind)
            except DatasetError as exc:
                st.error(problems(str(exc)), icon=":material/error:")
            else:
                st.success("Stored. Train on it with this setting:", icon=":material/upload:")
                st.code(f"dataset={stored}", language=None)

    if view.jobs.empty:
        st.caption("No jobs yet.")
    else:
        st.dataframe(view.jobs, hide_index=True, width="stretch", column_config={
            "progress": st.column_config.ProgressColumn("Progress", format="%.0f%%", min_value=0, max_value=100),
            "created": st.column_config.DatetimeColumn("Created (UTC)")})
        ids = view.jobs["id"].tolist()
        if st.session_state.get(ACTIVE_JOB) not in ids:
            st.session_state[ACTIVE_JOB] = ids[0]  # the newest job, until the user picks another
        st.selectbox("Follow job", ids, key=ACTIVE_JOB)
        # Poll only while the followed job can still change: a finished job's figures are not re-sent every 2 s.
        live = view.jobs.set_index("id").at[st.session_state[ACTIVE_JOB], "status"] in ("queued", "running")

        @st.fragment(run_every=POLL_SECONDS if live else None)
        def progress_panel() -> None:
            """Re-reads the followed job every POLL_SECONDS; marks dead workers failed first."""
            jobs.reap(session_factory())
            with read() as session:
                job = job_detail(session=session, job_id=st.session_state[ACTIVE_JOB])
            st.progress(job["progress"], text=plain(f"Job {job['id']} ({job['kind']} {job['model']}, "
                                                    f"{job['config']}): {job['status']}, step {job['step']} of "
                                                    f"{job['total_steps']}"))
            if job["error"]:
                st.warning(plain(job["error"]), icon=":material/report:")
            buttons = st.columns(4)
            if job["status"] in ("queued", "running"):
                buttons[0].button("Cancel", key=f"mh_cancel_{job['id']}", on_click=_cancel, args=(job["id"],))
            if job["resumable"]:
                buttons[1].button(f"Resume from step {job['checkpoint_step']}", key=f"mh_resume_{job['id']}",
                                  on_click=_resume, args=(job["id"],))
            if not job["curve"].empty:
                fig = px.line(job["curve"], x="step", y="loss", labels={"loss": "training loss (nats)"})
                fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10})
                st.plotly_chart(fig, width="stretch", key=f"mh_curve_{job['id']}")
            if job["metrics"]:
                st.dataframe({k: [v] for k, v in job["metrics"].items()}, hide_index=True)
            if live and job["status"] not in ("queued", "running"):
                st.rerun()  # it just finished: redraw the page (tables, results, its figures) and stop polling
            for sample in job["samples"]:
                st.code(sample[:1000], language=None)
            if job["status"] == "succeeded" and job["figures"]:
                with st.expander(f"What {job['model']} learned ({len(job['figures'])} figures)", expanded=True):
                    figures.show(job["figures"], key=f"mh_jobfig_{job['id']}")
            if job["log"]:
                with st.expander("Log (last lines)"):
                    st.code(job["log"], language=None)

        progress_panel()

with results_tab:
    runs = view.runs
    if runs.empty:
        st.caption("No benchmark runs yet: start a **bench** job, or run `python -m modelhub bench all --config "
                   "smoke`.")
    else:
        runs = runs.assign(machine=runs["device"] + " · " + runs["precision"])
        latest = runs.drop_duplicates(["model", "machine", "config"])  # newest run per model, machine and config
        charts = st.columns(2)
        fig = px.bar(latest, x="model", y="units_per_second", color="machine", barmode="group", log_y=True,
                     hover_data=["config", "unit", "mfu_pct"], title="Training throughput (units/s, log scale)",
                     labels={"units_per_second": "samples or tokens per second"})
        fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False)
        charts[0].plotly_chart(fig, width="stretch", key="mh_throughput")
        with_mfu = latest.dropna(subset=["mfu_pct"])
        fig = px.bar(with_mfu, x="model", y="mfu_pct", color="machine", barmode="group", hover_data=["peak_source"],
                     title="MFU (% of the device's peak)", labels={"mfu_pct": "MFU %"})
        fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                          legend={"orientation": "h", "y": -0.3})
        charts[1].plotly_chart(fig, width="stretch", key="mh_mfu")
        st.caption("MFU on a CPU is measured against a matmul probe on the same threads (an achieved ceiling, "
                   "not a datasheet peak); on a GPU against its dense bf16 or fp32 peak. Quality is in the table's "
                   "Metric column, for the config each run trained with.")
        st.dataframe(runs.drop(columns=["machine"]), hide_index=True, width="stretch", column_config={
            "created": st.column_config.DatetimeColumn("Created (UTC)"),
            "params": st.column_config.NumberColumn("Parameters", format="localized"),
            "flops_per_unit": st.column_config.NumberColumn("FLOPs/unit (fwd+bwd)", format="%.3g"),
            "units_per_second": st.column_config.NumberColumn("Units/s", format="%.4g"),
            "step_ms": st.column_config.NumberColumn("Step (ms, median)", format="%.3g"),
            "spread_ms": "p10–p90 (ms)", "achieved_gflops": st.column_config.NumberColumn("GFLOP/s", format="%.3g"),
            "mfu_pct": st.column_config.NumberColumn("MFU %", format="%.2f",
                                                     help="Achieved FLOP/s ÷ peak: the dense datasheet peak on a "
                                                          "GPU, a measured fp32 matmul probe on a CPU."),
            "metric_value": st.column_config.NumberColumn("Metric", format="%.4g"),
            "peak_memory_mb": st.column_config.NumberColumn("Peak memory (MB)", format="%.0f")})
        cols = st.columns(2)  # the files are built when a button is pressed, not on every run of the page
        cols[0].download_button("Export CSV", runs_export(factory=session_factory(), fmt="csv"),
                                "benchmark_runs.csv", "text/csv", key="mh_csv")
        cols[1].download_button("Export JSON", runs_export(factory=session_factory(), fmt="json"),
                                "benchmark_runs.json", "application/json", key="mh_json")
    if view.samples:
        st.subheader("Generated samples")
        st.caption("Text the language models wrote at the end of their newest runs (a smoke run's model is "
                   "barely trained, and its text shows it).")
        for label, text in view.samples:
            st.caption(plain(label))
            st.code(text[:1000], language=None)

with learned_tab:
    st.caption("Pictures the models drew of what they learned at the end of their newest succeeded training job or "
               "benchmark run: samples, reconstructions, masks and boxes, attention, learning curves. A smoke "
               "run's model is barely trained, and its pictures show it.")
    recent = [name for name in view.trained if name in view.model_names]  # the most recently trained, first
    shown = st.selectbox("Model", view.model_names, key="mh_figures_model",
                         index=view.model_names.index(recent[0]) if recent else 0)
    with read() as session:
        drawn = newest_figures(session=session, model_name=shown)
    if drawn is None:
        st.caption(plain(f"No figures stored for {shown} yet: train or benchmark it (models without pictures, "
                         "such as the classifiers, store none)."))
    else:
        st.caption(plain(f"From {drawn.label}, {drawn.created:%Y-%m-%d %H:%M} UTC."))
        figures.show(drawn.figures, key=f"mh_fig_{drawn.where.replace(' ', '_')}")

with errata_tab:
    st.page_link("pages/errata.py", label="Errata: every wrong formula, example and listing in the documents",
                 icon=":material/fact_check:")
    if not view.errata:
        st.caption("No as-written variants are registered.")
    for item in view.errata:
        # Registry names are identifiers (naive_bayes): in backticks, so their underscores are not markdown.
        st.subheader(f"`{item.corrected}`: as written vs corrected")
        st.caption(plain(f"Documents: {item.source}"))
        st.markdown(plain(item.errata))
        left, right = st.columns(2)
        # Registry names are identifiers from the code, not user text; inside backticks nothing is formatted.
        left.markdown(f"**As written** (`{item.as_written}`)")
        left.write(item.as_written_description)
        left.caption(plain(item.as_written_result))
        right.markdown(f"**Corrected** (`{item.corrected}`)")
        right.write(item.corrected_description)
        right.caption(plain(item.corrected_result))
