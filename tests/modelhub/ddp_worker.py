"""Run by torchrun in tests: train the MLP smoke config with DDP and save this rank's final weights."""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.distributed as dist

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from modelhub import registry, trainer  # noqa: E402

if __name__ == "__main__":
    out = Path(sys.argv[1])
    recipe = registry.create("mlp", "smoke", steps=6, eval_every=3, threads=1)
    result = trainer.train(recipe, device="cpu")
    rank = dist.get_rank()
    torch.save({"state": recipe.model.state_dict(), "world": result.world_size, "losses":
                [h["loss"] for h in result.history], "metrics": result.metrics}, out / f"rank{rank}.pt")
    dist.barrier()  # as modelhub's CLI does: both ranks reach the end before either tears the group down
    dist.destroy_process_group()
