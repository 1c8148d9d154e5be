"""The segmenters: per-pixel logits at the input's size, the skips their papers describe, and a recipe that
learns, measures mean IoU the way seg_metrics does and draws its masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modelhub import registry
from modelhub.datasets import DatasetError
from modelhub.models.segmentation import ASPP, FCN, DeepLabV3Plus, UNet, _bilinear_up
from modelhub.registry import RegistryError
from modelhub.seg_metrics import confusion_matrix, mean_iou

torch.set_num_threads(1)
NAMES = ("fcn", "unet", "deeplabv3plus")


@pytest.mark.parametrize("cls", [FCN, UNet, DeepLabV3Plus])
@pytest.mark.parametrize("size", [32, 48])
def test_logits_have_one_channel_per_class_at_the_input_size(cls, size):
    model = cls(num_classes=4, in_channels=3, width=4).eval()
    assert model(torch.rand(2, 3, size, size)).shape == (2, 4, size, size)


def test_fcn_upsampling_starts_as_bilinear_interpolation():
    up = _bilinear_up(2)
    x = torch.rand(1, 2, 4, 4)
    expected = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    # Away from the border (where the transposed conv sees zero padding) the two agree exactly.
    assert torch.allclose(up(x)[..., 1:-1, 1:-1], expected[..., 1:-1, 1:-1], atol=1e-6)
    assert up.weight[0, 1].abs().sum() == 0  # no mixing between class channels at the start


def test_unet_decoders_receive_the_contracting_maps_concatenated():
    torch.manual_seed(0)
    model = UNet(width=4).eval()
    seen: dict[str, torch.Tensor] = {}
    for name in ("enc1", "enc2", "enc3", "dec1", "dec2", "dec3"):
        getattr(model, name).register_forward_hook(lambda m, i, o, name=name: seen.update({name: i[0]}) or None)
    model.enc1.register_forward_hook(lambda m, i, o: seen.update({"e1": o}) or None)
    model.enc2.register_forward_hook(lambda m, i, o: seen.update({"e2": o}) or None)
    model.enc3.register_forward_hook(lambda m, i, o: seen.update({"e3": o}) or None)
    model(torch.rand(2, 3, 32, 32))
    # Each decoder's input is [upsampled deeper map, contracting map of the same scale] along channels.
    for dec, enc, channels, size in (("dec1", "e1", 4, 32), ("dec2", "e2", 8, 16), ("dec3", "e3", 16, 8)):
        assert seen[dec].shape == (2, 2 * channels, size, size)
        assert torch.equal(seen[dec][:, channels:], seen[enc])


def test_aspp_branches_see_wider_context_with_higher_rates():
    aspp = ASPP(4, 4, rates=(1, 2, 4)).eval()
    assert [b[0].dilation for b in aspp.branches] == [(1, 1), (1, 1), (2, 2), (4, 4)]
    assert aspp(torch.rand(2, 4, 8, 8)).shape == (2, 4, 8, 8)


@pytest.mark.parametrize("name", NAMES)
def test_evaluate_reports_miou_and_pixel_accuracy_as_seg_metrics_computes_them(name):
    torch.manual_seed(0)
    recipe = registry.create(name, "smoke")
    metrics = recipe.evaluate(recipe.model)
    assert {"test_miou", "val_miou", "test_pixel_accuracy", "val_pixel_accuracy"} <= set(metrics)
    recipe.model.eval()
    pred = recipe.predict(recipe.model, torch.from_numpy(recipe.data["test"].images))
    cm = confusion_matrix(pred, recipe.data["test"].masks, 4)
    assert metrics["test_miou"] == pytest.approx(mean_iou(cm))


@pytest.mark.parametrize("name", NAMES)
def test_figures_are_input_truth_and_prediction_triples(name):
    recipe = registry.create(name, "smoke")
    (figure,) = recipe.figures(recipe.model)
    images = np.array(figure["images"])
    assert figure["kind"] == "images" and images.shape == (12, 32, 32, 3)
    assert len(figure["captions"]) == 12 and images.min() >= 0 and images.max() <= 1
    assert np.allclose(images[0], recipe.data["test"].images[0].transpose(1, 2, 0), atol=1e-4)


def test_fcn_fits_eight_scenes_in_fifty_steps():
    # Learning, not just one step: with the recipe's own loss the FCN fits a handful of scenes almost exactly
    # (the default config's 1,000 steps on 2,000 scenes are what the quality bar measures on the test split).
    torch.manual_seed(0)
    recipe = registry.create("fcn", "smoke", n_train=8, width=8)
    x, y = recipe.get_batch("train", 8, torch.Generator().manual_seed(0))
    optimiser = torch.optim.Adam(recipe.model.parameters(), lr=1e-2)
    for _ in range(50):
        recipe.loss(recipe.model, (x, y)).backward()
        optimiser.step()
        optimiser.zero_grad()
    recipe.model.eval()
    assert mean_iou(confusion_matrix(recipe.predict(recipe.model, x), y.numpy(), 4)) > 0.7


def test_data_sets_without_masks_and_bad_settings_are_refused():
    with pytest.raises(DatasetError, match="masks"):
        registry.create("unet", "smoke", dataset="digits")
    with pytest.raises(DatasetError, match="multiple of 8"):
        registry.create("fcn", "smoke", image_size=36)
    with pytest.raises(ValueError, match="aspp_rates"):
        registry.create("deeplabv3plus", "smoke", aspp_rates="1,x")
    with pytest.raises(RegistryError):
        registry.create("fcn", "smoke", width=0)
