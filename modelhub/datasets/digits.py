"""scikit-learn's bundled handwritten digits (1,797 8×8 grey images, 10 classes), resizable, offline."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias

from modelhub.datasets.base import DatasetError, ImageDataset, split_indices


@lru_cache(maxsize=8)
def load_digits(size: int = 8, seed: int = 0) -> ImageDataset:
    """Digits as N×1×size×size float32 in [0, 1]; ``size`` ≠ 8 resizes bilinearly (for LeNet-style inputs).

    The raw pixels are 0..16 (sklearn's 4-bit intensities); they are divided by 16. The split is stratified
    70/15/15 by ``seed`` (see ``split_indices``).
    """
    from sklearn.datasets import load_digits as sk_digits

    if not 4 <= int(size) <= 256:
        raise DatasetError(f"digits: size must be between 4 and 256 pixels, not {size}")
    raw = sk_digits()
    x = (raw.images.astype(np.float32) / 16.0)[:, None, :, :]
    if size != 8:
        # Bilinear with align_corners=False keeps the digit centred; antialiasing matters only when shrinking.
        x = F.interpolate(torch.from_numpy(x), size=(size, size), mode="bilinear", align_corners=False,
                          antialias=size < 8).numpy()
    y = raw.target.astype(np.int64)
    tr, va, te = split_indices(y, seed)
    for arr in (x, y):
        arr.setflags(write=False)  # cached and shared: nobody may change it in place
    return ImageDataset(
        name="digits", x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te], y_test=y[te],
        classes=tuple(str(d) for d in range(10)),
        meta={"source": "sklearn.datasets.load_digits (UCI optical digits, test set part)", "size": size,
              "seed": seed},
    )
