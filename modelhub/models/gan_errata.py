"""The documents' GAN loss arithmetic, recomputed (pure Python, no torch).

004 §4.2 works two examples (004:L267-270 and L287-290):

- D(G(z)) = 0.9 ⇒ L_G = −log 0.9, printed "≈ 0.15";
- D(x) = 0.8, D(G(z)) = 0.2 ⇒ L_D = −[log 0.8 + log(1 − 0.2)], printed "≈ 0.22".

Deep-learning frameworks use the natural log (losses in nats). ``worked_examples()`` returns each printed value
beside the recomputed one in natural log, log2 and log10 and names the bases (if any) the print matches at its
two decimals. 000's second generator loss (000:L341) is checked by ``generator_loss_gradient_sign``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def generator_loss(d_fake: float, base: float = math.e) -> float:
    """The non-saturating generator loss −log D(G(z)) (004:L257, 000:L134)."""
    return -math.log(d_fake, base)


def generator_loss_as_written(d_fake: float, base: float = math.e) -> float:
    """000:L341's generator loss −log(1 − D(G(z))) (the sign-flipped minimax term)."""
    return -math.log(1 - d_fake, base)


def discriminator_loss(d_real: float, d_fake: float, base: float = math.e) -> float:
    """−[log D(x) + log(1 − D(G(z)))] (004:L276, 000:L133)."""
    return -(math.log(d_real, base) + math.log(1 - d_fake, base))


def generator_loss_gradient_sign(d_fake: float, as_written: bool = False) -> float:
    """The sign of ∂L_G/∂D(G(z)): negative means lowering the loss raises D(G(z)) (G learns to fool D).

    −log D has derivative −1/D < 0 (correct); 000:L341's −log(1 − D) has +1/(1 − D) > 0, so gradient descent
    on it lowers D(G(z)): the generator is pushed to look *fake*.
    """
    return math.copysign(1.0, 1 / (1 - d_fake) if as_written else -1 / d_fake)


@dataclass(frozen=True)
class WorkedExample:
    """One of 004's examples: the expression, the printed value and the recomputed ones."""

    where: str
    expression: str
    printed: float
    natural: float  # nats: what a framework computes
    log2: float  # bits
    log10: float

    def matching_bases(self) -> tuple[str, ...]:
        """The bases whose value rounds to the printed one at the printed precision (two decimals)."""
        candidates = {"ln": self.natural, "log2": self.log2, "log10": self.log10}
        return tuple(name for name, value in candidates.items() if round(value, 2) == self.printed)


def worked_examples() -> list[WorkedExample]:
    """004 §4.2's two examples, printed vs recomputed."""
    rows = []
    for where, expression, printed, loss in (
        ("004:L267-270", "L_G = −log(0.9)", 0.15, lambda b: generator_loss(0.9, b)),
        ("004:L287-290", "L_D = −[log(0.8) + log(1 − 0.2)]", 0.22, lambda b: discriminator_loss(0.8, 0.2, b)),
    ):
        rows.append(WorkedExample(where, expression, printed, loss(math.e), loss(2.0), loss(10.0)))
    return rows


def errata_text() -> str:
    """The errata in one paragraph, with the recomputed numbers (for the registry entries and the page)."""
    g, d = worked_examples()
    return (f"{g.where}: {g.expression} is printed ≈ {g.printed} but is {g.natural:.4f} in natural log "
            f"({g.log2:.4f} in log2, the only base that rounds to the print). {d.where}: {d.expression} is "
            f"printed ≈ {d.printed} but is {d.natural:.4f} in natural log ({d.log2:.4f} in log2, {d.log10:.4f} "
            f"in log10 — no base gives {d.printed}; a single −ln 0.8 = {-math.log(0.8):.4f} does, one of the two "
            "terms). 000:L341's G_loss = −log(1 − D(x̂)) has the wrong sign: its gradient descent lowers D(G(z)).")
