"""The GPT: causal attention, weight tying, GPT-2-124M's size at scale, generation."""

from __future__ import annotations

import math

import pytest
import torch

from modelhub import registry
from modelhub.models.gpt import GPT, CausalSelfAttention, GPTConfig, decode, encode, random_windows

TINY = GPTConfig(block_size=16, vocab_size=256, n_layer=2, n_head=2, n_embd=16)


def test_a_position_never_sees_the_future():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    a = torch.randint(0, 256, (1, 12))
    b = a.clone()
    b[0, 7:] = (b[0, 7:] + 1) % 256  # change only positions 7..11
    la, _ = model(a)
    lb, _ = model(b)
    assert torch.allclose(la[0, :7], lb[0, :7], atol=1e-6)
    assert not torch.allclose(la[0, 7:], lb[0, 7:])


def test_attention_equals_the_written_out_formula():
    torch.manual_seed(0)
    attn = CausalSelfAttention(TINY).eval()
    x = torch.randn(2, 5, 16)
    q, k, v = attn.qkv(x).split(16, dim=2)
    heads = [z.view(2, 5, 2, 8).transpose(1, 2) for z in (q, k, v)]
    scores = heads[0] @ heads[1].transpose(-2, -1) / math.sqrt(8)  # softmax(QKᵀ/√d_k)V, 004:L206-208
    scores = scores.masked_fill(torch.triu(torch.ones(5, 5, dtype=torch.bool), 1), float("-inf"))
    y = (scores.softmax(-1) @ heads[2]).transpose(1, 2).reshape(2, 5, 16)
    assert torch.allclose(attn(x), attn.proj(y), atol=1e-5)


def test_output_weights_are_the_token_embedding():
    model = GPT(TINY)
    assert model.lm_head.weight is model.wte.weight
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())  # the shared matrix counted once
    per_layer = 2 * 16 + 12 * 16 * 16  # two layer norms (weights, no bias) + qkv 3C², proj C², fc 4C², proj 4C²
    assert model.num_parameters() == 256 * 16 + 16 * 16 + 2 * per_layer + 16


def test_scale_config_is_gpt2_small_sized():
    cfg = registry.get("gpt").config("scale")
    with torch.device("meta"):
        model = GPT(GPTConfig(block_size=cfg["block_size"], vocab_size=cfg["vocab_size"], n_layer=cfg["n_layer"],
                              n_head=cfg["n_head"], n_embd=cfg["n_embd"]))
    assert 123e6 < model.num_parameters() < 125e6


def test_fresh_model_is_close_to_uniform_over_bytes():
    torch.manual_seed(0)
    x = torch.randint(0, 256, (4, 16))
    _, loss = GPT(TINY)(x, torch.randint(0, 256, (4, 16)))  # targets unrelated to the inputs
    assert loss.item() == pytest.approx(math.log(256), abs=0.1)


def test_generation_appends_bytes_and_decodes():
    torch.manual_seed(0)
    out = GPT(TINY).generate(encode("def "), 20, top_k=5, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 24) and decode(out[:, :4]) == "def "
    assert isinstance(decode(out), str)


def test_a_context_longer_than_the_block_is_refused():
    with pytest.raises(ValueError, match="longer than the context"):
        GPT(TINY)(torch.zeros(1, 17, dtype=torch.long))


def test_heads_must_divide_the_width():
    with pytest.raises(ValueError, match="multiple of n_head"):
        GPT(GPTConfig(n_embd=10, n_head=3))


def test_random_windows_pair_each_byte_with_the_next():
    data = torch.arange(100)
    x, y = random_windows(data, 8, 4, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 8) and torch.equal(y, x + 1)
