"""The Compute cost page with a benchmark run: which MFU it uses, said in words, and samples for sample-based runs."""

from __future__ import annotations

import pytest

from analytics.gpu_catalogue import default_mfu
from tests.db.test_cost_scenarios import _benchmark_row
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/compute_cost.py"


def _store(factory, **values) -> int:
    with factory.begin() as s:
        row = _benchmark_row(**values)
        s.add(row)
        s.flush()
        return row.id


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_cpu_measured_mfu_is_not_used_for_an_h100_unless_asked(app_db):
    # The modelhub's LSTM on the development CPU measures 86 % MFU against a CPU matmul probe (README table).
    run_id = _store(app_db["factory"], model_name="lstm", config_name="default", device_name="AMD EPYC 7B13",
                    device_type="cpu", params=1_000_000, flops_per_unit=6e6, unit="token", units_per_second=15_000.0,
                    peak_flops=None, mfu=0.86)
    at = open_page(PAGE, app_db["empty"])
    at.selectbox(key="cc_run").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    warning = at.warning[0].value.replace("\\", "")
    assert "does not carry over" in warning and "AMD EPYC 7B13" in warning
    provenance = next(d.value for d in at.dataframe if "status" in d.value.columns).set_index("figure")
    assert provenance.loc["MFU", "value"] == f"{default_mfu('h100-sxm', 'llm').base:.0%}"
    assert provenance.loc["MFU", "status"] == "assumed"
    at.checkbox(key="cc_use_measured_mfu").check().run()
    assert not at.exception and not at.error
    assert "at your request" in at.warning[0].value
    provenance = next(d.value for d in at.dataframe if "status" in d.value.columns).set_index("figure")
    assert provenance.loc["MFU", "value"] == "86.0%"


def test_a_run_from_another_gpu_says_its_mfu_is_carried_over(app_db):
    run_id = _store(app_db["factory"], model_name="gpt", config_name="scale", device_name="NVIDIA A100-SXM4-80GB",
                    device_type="cuda", params=124_000_000, flops_per_unit=6 * 124e6, unit="token",
                    units_per_second=100_000.0, peak_flops=312e12, mfu=None)
    at = open_page(PAGE, app_db["empty"])
    at.selectbox(key="cc_run").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "carried over from another device" in at.warning[0].value


def test_a_sample_based_run_counts_samples(app_db):
    run_id = _store(app_db["factory"], model_name="resnet", config_name="default", device_name="NVIDIA H100 80GB HBM3",
                    device_type="cuda", params=80_000, flops_per_unit=3e7, unit="sample", units_per_second=20_000.0,
                    peak_flops=989e12, mfu=None)
    at = open_page(PAGE, app_db["empty"])
    at.selectbox(key="cc_run").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.number_input(key="cc_tokens").label == "Training samples (billions)"
    assert not at.warning  # measured on the target GPU model: nothing to warn about
    assert "samples/s per GPU" in next(m.help for m in at.metric if m.label == "Wall-clock")
    # 1e12 samples (the form's 1,000 billion) × 3e7 FLOPs × (params 7e9 / 8e4) per sample = 2.625e24; the card
    # shows three significant figures (2.62e+24), hence the 0.5 % tolerance.
    assert float(_metric(at, "Training FLOPs")) == pytest.approx(1e12 * 3e7 * 7e9 / 8e4, rel=5e-3)
