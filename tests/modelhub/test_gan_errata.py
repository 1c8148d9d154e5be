"""004 §4.2's worked GAN losses and 000's generator-loss sign, recomputed by modelhub.models.gan_errata."""

from __future__ import annotations

import ast
import math
import sys

import pytest

from modelhub.models import gan_errata
from modelhub.models.gan_errata import (
    discriminator_loss,
    errata_text,
    generator_loss,
    generator_loss_as_written,
    generator_loss_gradient_sign,
    worked_examples,
)


def test_the_generator_example_is_0_1054_nats_and_its_print_matches_only_log2():
    example = worked_examples()[0]
    assert example.printed == 0.15
    assert example.natural == pytest.approx(0.1054, abs=5e-5)  # −ln 0.9
    assert example.log2 == pytest.approx(0.1520, abs=5e-5)  # −log2 0.9
    assert example.log10 == pytest.approx(0.0458, abs=5e-5)
    assert example.matching_bases() == ("log2",)


def test_the_discriminator_example_is_0_4463_nats_and_no_base_prints_0_22():
    example = worked_examples()[1]
    assert example.printed == 0.22
    assert example.natural == pytest.approx(0.4463, abs=5e-5)  # −(ln 0.8 + ln 0.8)
    assert example.log2 == pytest.approx(0.6439, abs=5e-5)
    assert example.log10 == pytest.approx(0.1938, abs=5e-5)
    assert example.matching_bases() == ()
    # The print is half the value: a single −ln 0.8 (one of the two terms) rounds to it.
    assert round(example.natural / 2, 2) == example.printed


def test_losses_agree_with_their_definitions_in_every_base():
    for base in (math.e, 2.0, 10.0):
        assert generator_loss(0.5, base) == pytest.approx(math.log(2, base))
        assert discriminator_loss(0.5, 0.5, base) == pytest.approx(2 * math.log(2, base))
        # A perfect discriminator on both inputs costs nothing; the as-written G loss is D's fake term.
        assert discriminator_loss(1.0, 0.0, base) == 0.0
        assert generator_loss_as_written(0.2, base) == pytest.approx(-math.log(0.8, base))


@pytest.mark.parametrize("d_fake", [0.01, 0.3, 0.5, 0.9, 0.99])
def test_the_as_written_generator_loss_descends_towards_looking_fake(d_fake):
    assert generator_loss_gradient_sign(d_fake) < 0  # −log D: lowering it raises D(G(z))
    assert generator_loss_gradient_sign(d_fake, as_written=True) > 0  # −log(1 − D): lowering it lowers D(G(z))
    step = 1e-4
    assert generator_loss(d_fake + step) < generator_loss(d_fake)
    assert generator_loss_as_written(d_fake - step) < generator_loss_as_written(d_fake)


def test_errata_text_quotes_the_recomputed_values():
    text = errata_text()
    for value in ("0.1054", "0.1520", "0.4463", "0.6439", "0.2231", "000:L341"):
        assert value in text


def test_the_module_imports_only_the_standard_library():
    with open(gan_errata.__file__, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
