"""Where the modelhub keeps files: checkpoints and stored uploads under ``data/`` (gitignored).

``FOUNDERDECK_DATA_DIR`` moves them (tests point it at a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data folder (created on first use)."""
    path = Path(os.environ.get("FOUNDERDECK_DATA_DIR", ROOT / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def checkpoint_dir() -> Path:
    """Folder for training checkpoints, one file per job or run."""
    path = data_dir() / "checkpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_dir() -> Path:
    """Folder for uploaded data sets, stored under their SHA-256, never under the uploaded name."""
    path = data_dir() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path
