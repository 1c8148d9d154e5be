"""The trainer: schedule, exact resume, early stop, callbacks, and DDP with two gloo processes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from modelhub import registry, trainer
from modelhub.config import TrainConfig
from tests.conftest import ROOT


def _run(tmp_path, **kw):
    settings = {"steps": 12, "eval_every": 4, "threads": 1, **kw.pop("overrides", {})}
    recipe = registry.create("mlp", "smoke", **settings)
    return recipe, trainer.train(recipe, device="cpu", **kw)


def test_lr_warms_up_linearly_then_decays_by_cosine_to_the_floor():
    tc = TrainConfig(steps=110, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert trainer.lr_at(0, tc) == pytest.approx(0.1) and trainer.lr_at(9, tc) == pytest.approx(1.0)
    assert trainer.lr_at(10, tc) == pytest.approx(1.0)
    assert trainer.lr_at(60, tc) == pytest.approx(0.55)  # halfway down the cosine: floor + (1 - floor) / 2
    assert trainer.lr_at(110, tc) == pytest.approx(0.1)


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    full, _ = _run(tmp_path)

    stop_at = 8  # a checkpoint is written at step 8 (eval_every=4); the run "dies" right after it

    def die(event):
        if event.kind == "eval" and event.step == stop_at:
            raise trainer.StopTraining

    ckpt = tmp_path / "run.pt"
    _, first = _run(tmp_path, checkpoint=ckpt, callbacks=[die])
    assert first.steps == stop_at and trainer.load_checkpoint(ckpt)["step"] == stop_at
    resumed, second = _run(tmp_path, checkpoint=ckpt, resume=True)
    assert second.steps == 12 and len(second.history) == 12
    for (name, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_adam_first_moment_decay_comes_from_the_config_and_is_range_checked():
    from modelhub.config import setting_problem

    model = torch.nn.Linear(3, 2)
    assert trainer.make_optimizer(model, TrainConfig(), torch.device("cpu")).defaults["betas"] == (0.9, 0.999)
    gan_like = trainer.make_optimizer(model, TrainConfig(beta1=0.5), torch.device("cpu"))
    assert gan_like.defaults["betas"] == (0.5, 0.999)
    assert setting_problem("beta1", 1.0, 0.9) == "0 or more and below 1"
    assert setting_problem("beta1", -0.1, 0.9) == "0 or more and below 1"
    assert setting_problem("beta1", 0.0, 0.9) is None
    with pytest.raises(ValueError, match="beta1"):
        registry.create("gan", "smoke", beta1=1.5)


def test_checkpoint_is_a_plain_dict_with_config_and_optimizer(tmp_path):
    ckpt = tmp_path / "run.pt"
    _run(tmp_path, checkpoint=ckpt)
    state = trainer.load_checkpoint(ckpt)
    assert state["model_name"] == "mlp" and state["config"]["steps"] == 12 and state["step"] == 12
    assert state["optimizer"]["state"] and set(state["model"]) == {"net.1.weight", "net.1.bias", "net.3.weight",
                                                                   "net.3.bias"}
    assert not (tmp_path / "run.pt.part").exists()


def test_early_stop_at_the_validation_target(tmp_path):
    _, result = _run(tmp_path, overrides={"target": 0.01, "steps": 40})
    assert result.stopped_early and result.steps == 4 and result.time_to_target is not None
    assert result.metrics["val_accuracy"] >= 0.01


def test_callbacks_see_every_step_and_evaluation(tmp_path):
    events = []
    _run(tmp_path, callbacks=[events.append])
    assert [e.step for e in events if e.kind == "step"] == list(range(1, 13))
    assert [e.step for e in events if e.kind == "eval"] == [4, 8, 12]
    assert events[-1].kind == "end" and all(e.loss > 0 for e in events if e.kind == "step")


def test_gradient_accumulation_trains(tmp_path):
    _, result = _run(tmp_path, overrides={"accumulate": 2, "batch_size": 16})
    assert result.steps == 12 and all(h["loss"] == h["loss"] for h in result.history)


def test_unknown_cuda_device_is_refused_clearly():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        trainer.pick_device("cuda")


@pytest.mark.slow
def test_ddp_with_two_gloo_processes_keeps_replicas_identical(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(ROOT / "tests/modelhub/ddp_worker.py"), str(tmp_path)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["world"] == r1["world"] == 2 and len(r0["losses"]) == 6
    for name, tensor in r0["state"].items():
        assert torch.equal(tensor, r1["state"][name]), name  # all-reduced gradients keep the replicas in step
    assert "test_accuracy" in r0["metrics"] and r1["metrics"] == {}  # rank 0 evaluates
    assert r0["losses"] != r1["losses"]  # each rank drew its own batches


def test_bf16_autocast_path_trains_on_the_cpu_when_asked(tmp_path):
    # The same autocast code runs on CUDA by default; on a CPU only when asked for, which lets CI exercise it.
    _, result = _run(tmp_path, overrides={"precision": "bf16", "steps": 4, "eval_every": 4})
    assert result.steps == 4 and all(h["loss"] == h["loss"] for h in result.history)
    assert isinstance(trainer.autocast_for(torch.device("cpu"), "bf16"), torch.autocast)
    assert not isinstance(trainer.autocast_for(torch.device("cpu"), "auto"), torch.autocast)


def test_auto_threads_stay_between_one_and_four(monkeypatch):
    monkeypatch.setattr("os.getloadavg", lambda: (50.0, 0, 0))
    assert trainer.auto_threads() == 1
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0, 0))
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert trainer.auto_threads() == 4 and trainer.auto_threads(world_size=2) == 4
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert trainer.auto_threads(world_size=2) == 3


class _Grads:
    """Records every parameter's gradient just before each optimiser step (after accumulation and clipping)."""

    def __init__(self):
        self.steps: list[list[torch.Tensor]] = []

    def __enter__(self):
        hook = lambda opt, args, kwargs: self.steps.append(  # noqa: E731
            [p.grad.detach().clone() for g in opt.param_groups for p in g["params"]])
        self.handle = register_optimizer_step_pre_hook(hook)
        return self

    def __exit__(self, *exc):
        self.handle.remove()

    def norms(self) -> list[float]:
        return [float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
                for grads in self.steps]


def test_accumulating_two_micro_batches_of_16_equals_one_batch_of_32(tmp_path):
    # Two draws of 16 rows from the seeded sampler are the same rows as one draw of 32, so the mean loss of the
    # two halves, each divided by 2, has the gradient of the whole batch's mean loss.
    runs = {}
    for accumulate, batch in ((1, 32), (2, 16)):
        with _Grads() as grads:
            recipe, _ = _run(tmp_path, overrides={"accumulate": accumulate, "batch_size": batch, "steps": 5,
                                                  "grad_clip": 0.0, "eval_every": 5})
        runs[accumulate] = (grads.steps, recipe.model.state_dict())
    (one_grads, one_state), (two_grads, two_state) = runs[1], runs[2]
    assert len(one_grads) == len(two_grads) == 5
    for step_a, step_b in zip(one_grads, two_grads, strict=True):
        for a, b in zip(step_a, step_b, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
    for name, tensor in one_state.items():
        torch.testing.assert_close(tensor, two_state[name], rtol=1e-5, atol=1e-6)


def test_clipping_keeps_the_global_gradient_norm_at_most_grad_clip(tmp_path):
    with _Grads() as raw:
        _run(tmp_path, overrides={"grad_clip": 0.0, "steps": 6, "eval_every": 6})
    with _Grads() as clipped:
        _run(tmp_path, overrides={"grad_clip": 0.05, "steps": 6, "eval_every": 6})
    assert min(raw.norms()) > 0.05  # unclipped, every step's gradient is bigger than the limit
    assert all(n <= 0.05 * (1 + 1e-5) for n in clipped.norms())
    assert clipped.norms()[0] == pytest.approx(0.05, rel=1e-4)  # scaled down to the limit, not past it


def test_compile_runs_a_training_step_through_torch_compile(tmp_path):
    # backend 'eager': torch.compile captures the graphs (dynamo) without the C++ kernel build that inductor
    # needs on a CPU (~25 s here); the inductor path is the slow test below.
    import torch._dynamo

    torch._dynamo.reset()
    _, result = _run(tmp_path, overrides={"compile": True, "compile_backend": "eager", "steps": 2, "eval_every": 2})
    assert result.steps == 2 and all(h["loss"] == h["loss"] for h in result.history)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1  # something really was compiled


@pytest.mark.slow
def test_compile_with_inductor_trains_like_eager(tmp_path):
    import torch._dynamo

    torch._dynamo.reset()
    eager, _ = _run(tmp_path, overrides={"steps": 2, "eval_every": 2})
    compiled, result = _run(tmp_path, overrides={"compile": True, "steps": 2, "eval_every": 2})
    assert result.steps == 2
    for name, tensor in eager.model.state_dict().items():
        torch.testing.assert_close(tensor, compiled.model.state_dict()[name], rtol=1e-4, atol=1e-5)
