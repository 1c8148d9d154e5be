"""The documents' CNNs: layer-for-layer shapes and parameter counts of the Keras originals."""

from __future__ import annotations

import pytest
import torch

from modelhub.models.vision import DOC_VGG_CHANNELS, AlexNet, DocVGG, KerasCNN, LeNet, ResNet, count_parameters, resize


def conv(k, cin, cout):
    return k * k * cin * cout + cout


def dense(i, o):
    return i * o + o


def test_keras_cnn_has_the_121930_parameters_keras_counts():
    # 000:L258-279: Conv2D(32,3) on 28×28×1, Conv2D(64,3), flatten 5·5·64, Dense(64), Dense(10).
    expected = conv(3, 1, 32) + conv(3, 32, 64) + dense(5 * 5 * 64, 64) + dense(64, 10)
    assert expected == 121_930
    assert count_parameters(KerasCNN()) == expected


def test_lenet_on_28_px_has_44426_parameters():
    expected = conv(5, 1, 6) + conv(5, 6, 16) + dense(4 * 4 * 16, 120) + dense(120, 84) + dense(84, 10)
    assert count_parameters(LeNet()) == expected == 44_426


def test_lenet_uses_the_documents_sigmoids_not_relu():
    kinds = {type(m).__name__ for m in LeNet().modules()}
    assert "Sigmoid" in kinds and "ReLU" not in kinds


def test_alexnet_at_full_width_is_the_documents_layer_list_with_a_ten_way_head():
    convs = conv(11, 1, 96) + conv(5, 96, 256) + conv(3, 256, 384) + conv(3, 384, 384) + conv(3, 384, 256)
    fcs = dense(256, 4096) + dense(4096, 4096) + dense(4096, 10)  # 64 px input ends at 1×1×256
    assert count_parameters(AlexNet()) == convs + fcs


def test_document_vgg_has_seven_conv_pool_pairs_and_ends_at_one_pixel():
    model = DocVGG()
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    pools = [m for m in model.features if isinstance(m, torch.nn.MaxPool2d)]
    assert [c.out_channels for c in convs] == list(DOC_VGG_CHANNELS) and len(pools) == 7
    assert model.features(torch.zeros(1, 1, 128, 128)).shape == (1, 256, 1, 1)


@pytest.mark.parametrize("model", [KerasCNN(), LeNet(), AlexNet(width=0.125), DocVGG(width=0.125), ResNet()],
                         ids=lambda m: type(m).__name__)
def test_each_network_maps_its_input_size_to_ten_logits(model):
    x = torch.rand(3, 1, model.image_size, model.image_size)
    assert model(x).shape == (3, 10)


def test_too_small_an_image_is_refused_by_the_document_vgg():
    with pytest.raises(RuntimeError):
        DocVGG(width=0.125)(torch.zeros(1, 1, 64, 64))


def test_resnet_depth_is_six_n_plus_two():
    for n in (1, 3):
        model = ResNet(n=n)
        weighted = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
        assert len(weighted) + 1 == 6 * n + 2  # 3×3 convs plus the linear head


def test_resnet_block_adds_its_input_back():
    from modelhub.models.vision import BasicBlock

    block = BasicBlock(4, 4, stride=1).eval()
    for p in block.bn2.parameters():  # zero the residual branch: the block is then relu(x)
        torch.nn.init.zeros_(p)
    x = torch.rand(2, 4, 8, 8)
    assert torch.allclose(block(x), torch.relu(x))


def test_resize_is_a_no_op_at_the_same_size_and_bilinear_otherwise():
    x = torch.rand(2, 1, 8, 8)
    assert resize(x, 8) is x
    assert resize(x, 28).shape == (2, 1, 28, 28)


@pytest.mark.parametrize("model", [KerasCNN(), LeNet(), AlexNet(width=0.125), DocVGG(width=0.125)],
                         ids=lambda m: type(m).__name__)
def test_keras_ports_start_from_keras_default_initialisers(model):
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d | torch.nn.Linear):
            fan_in = m.weight[0].numel()
            fan_out = m.weight.shape[0] * (m.weight[0, 0].numel() if m.weight.dim() > 2 else 1)
            limit = (6 / (fan_in + fan_out)) ** 0.5  # glorot_uniform's bound
            assert m.weight.abs().max() <= limit and m.weight.abs().max() > 0.5 * limit
            assert m.bias.abs().sum() == 0


@pytest.mark.parametrize("name", ["keras_cnn", "lenet", "alexnet", "doc_vgg", "resnet"])
def test_an_uploaded_colour_image_set_sets_the_first_and_last_layers(name, monkeypatch):
    import numpy as np

    from modelhub import registry
    from modelhub.datasets import ImageDataset
    from modelhub.models import vision

    def fake_upload(dataset, *, size, seed):
        assert dataset == "upload:images:abc"
        rng = np.random.default_rng(seed)
        x = rng.random((12, 3, size, size), dtype=np.float32)
        y = np.arange(12) % 4
        return ImageDataset("upload", x, y, x[:4], y[:4], x[:4], y[:4], classes=("a", "b", "c", "d"))

    monkeypatch.setattr(vision, "load_images", fake_upload)
    recipe = registry.create(name, "smoke", dataset="upload:images:abc")
    x, _ = recipe.example_batch(2)
    assert x.shape[1] == 3 and recipe.model(x).shape == (2, 4)
    assert 0.0 <= recipe.evaluate(recipe.model)["test_accuracy"] <= 1.0
