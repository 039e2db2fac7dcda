"""Two published structural equation models and lavaan's maximum-likelihood estimates of them.

The data ship with semopy (a development dependency of exlink); the
estimates are lavaan's, as printed in its tutorial and reproduced by semopy.
They are the reference that exlink's constructs are checked against.

- **Political democracy** (Bollen 1989): industrialisation in 1960 (``ind60``:
  ``x1`` to ``x3``) drives democracy in 1960 (``dem60``: ``y1`` to ``y4``) and
  1965 (``dem65``: ``y5`` to ``y8``), in 75 developing countries. lavaan's model
  also frees six residual covariances between items (``y1 ~~ y5`` and so on),
  which exlink's constructs do not have.
- **Holzinger and Swineford** (1939): nine ability tests of 301 children, a
  three-factor confirmatory factor analysis (``visual``, ``textual``,
  ``speed``) with correlated factors. Correlated factors are the same model as
  a fully recursive chain of links between them (visual -> textual, visual ->
  speed, textual -> speed), which is how exlink states it.
"""

from __future__ import annotations

from exlink.spec import Chain, Construct, Link

POLITICAL_DEMOCRACY = Chain(
    stages=[
        Construct("ind60", ["x1", "x2", "x3"], "ex", description="industrialisation, 1960"),
        Construct("dem60", ["y1", "y2", "y3", "y4"], "cx", description="democracy, 1960"),
        Construct("dem65", ["y5", "y6", "y7", "y8"], "customer", description="democracy, 1965"),
    ],
    links=[Link("ind60", "dem60"), Link("ind60", "dem65"), Link("dem60", "dem65")],
)
"""Bollen's political democracy model, without its residual covariances."""

POLITICAL_DEMOCRACY_LAVAAN: dict[str, float] = {
    "ind60 -> dem60": 1.483,
    "ind60 -> dem65": 0.572,
    "dem60 -> dem65": 0.837,
    "x2": 2.180,
    "x3": 1.819,
    "y2": 1.257,
    "y3": 1.058,
    "y4": 1.265,
    "y6": 1.186,
    "y7": 1.280,
    "y8": 1.266,
}
"""lavaan's ML estimates of the paths and loadings (markers ``x1``, ``y1``, ``y5`` at 1)."""

HOLZINGER_SWINEFORD = Chain(
    stages=[
        Construct("visual", ["x1", "x2", "x3"], "ex", description="visual perception"),
        Construct("textual", ["x4", "x5", "x6"], "ex", description="verbal ability"),
        Construct("speed", ["x7", "x8", "x9"], "ex", description="speeded tasks"),
    ],
    links=[Link("visual", "textual"), Link("visual", "speed"), Link("textual", "speed")],
)
"""The three-factor CFA of Holzinger and Swineford, factors correlated through links."""

HOLZINGER_SWINEFORD_LAVAAN: dict[str, float] = {
    "x2": 0.554,
    "x3": 0.729,
    "x5": 1.113,
    "x6": 0.926,
    "x8": 1.180,
    "x9": 1.082,
}
"""lavaan's ML estimates of the loadings (markers ``x1``, ``x4``, ``x7`` at 1)."""
