"""Zero-sum effects sampled through levels that follow earlier stages' levels.

Each stage ``j`` has zero-sum effects ``e[j]`` over one axis (its units, or
its periods) with spread ``sigma[j]``. Where the data pin down a sum of the
effect and what other terms contribute far more tightly than the effect
itself, the sampler moves that sum, the stage's *level*, instead::

    level[j] = e[j] + fixed[j] + centred( sum over sources s -> j  w[s,j] * lag(level[s]) )

``fixed`` does not depend on any effect (:mod:`exlink.models.unit_levels`
builds it from data); each source ``s`` comes before ``j`` in the chain's
order, so ``level -> e`` is triangular with ones on its diagonal and its
Jacobian is one: the effects keep their zero-sum normal prior exactly, and
the model is the same. Only the coordinates the sampler moves in change.
A source's level, not its effect, enters: a level is the best guess at the
stage's true values' mean that the model holds, links into it included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pymc as pm
import pytensor.tensor as pt

if TYPE_CHECKING:
    from exlink.models.design import ChainDesign

LATENT_SOURCE_LEVELS = "exlink_latent_source_levels"
"""Attribute of a fit's posterior: its levels follow latent sources' levels (1)."""


@dataclass(frozen=True)
class SourceLevel:
    """The level of stage ``source`` entering the level of stage ``target``.

    Attributes
    ----------
    target, source
        Rows of the levels; ``source`` comes before ``target`` in the order
        given to :func:`zero_sum_levels`.
    weight
        A scalar, or one per element of the axis (a moderated slope per unit).
    lag
        Elements the source's level is moved along the axis (a link's lag in
        periods); ``0`` across units.
    """

    target: int
    source: int
    weight: pt.TensorVariable
    lag: int = 0


def zero_sum_levels(
    name: str,
    fixed: Sequence[pt.TensorVariable],
    sigma: pt.TensorVariable,
    sources: Sequence[SourceLevel],
    order: Sequence[int],
    dims: tuple[str, str],
    size: int,
) -> tuple[pt.TensorVariable, list[pt.TensorVariable]]:
    """Sample each row's level; return the levels and each row's effect ``e[j]``.

    Parameters
    ----------
    name
        The sampled variable's name.
    fixed
        Each row's shift that depends on no level, centred, shape ``(n,)``.
    sigma
        ``(rows, 1)``: each row's spread of effects.
    sources
        The levels that enter other rows' levels.
    order
        Every row, each ``source`` before its ``target``.
    dims
        The levels' dimensions, rows then axis.
    size
        The axis' length ``n``.

    Returns
    -------
    level : TensorVariable
        ``(rows, n)``, the sampled levels.
    effects : list of TensorVariable
        Each row's effects ``(n,)``, zero-sum with spread ``sigma``.
    """
    n_rows, n = len(order), int(size)
    position = {j: p for p, j in enumerate(order)}
    if any(position[s.source] >= position[s.target] for s in sources):
        raise ValueError("a source level must come before its target in `order`")
    weights = [s.weight for s in sources]

    def shift(j, rows, fixed, weights):
        """Row ``j``'s whole shift: its fixed part and its sources' levels, centred."""
        extra = None
        for source, weight in zip(sources, weights, strict=True):
            if source.target == j:
                part = weight * _lagged(rows[source.source], source.lag)
                extra = part if extra is None else extra + part
        return fixed[j] if extra is None else fixed[j] + extra - extra.mean()

    def draw(fixed, sigma, *rest):
        *weights, _ = rest
        noise = pm.ZeroSumNormal.dist(sigma=sigma, support_shape=(n,))
        if not sources:
            return fixed + noise
        # Row by row in order: a row's shift needs its sources' levels.
        rows: list = [None] * n_rows
        for j in order:
            rows[j] = noise[j] + shift(j, rows, fixed, weights)
        return pt.stack(rows)

    def logp(value, fixed, sigma, *weights):
        rows = [value[j] for j in range(n_rows)]
        shifts = (
            pt.stack([shift(j, rows, fixed, weights) for j in range(n_rows)]) if sources else fixed
        )
        # ZeroSumNormal's density of value - shifts, over n - 1 degrees of freedom.
        free = (n - 1) / n
        return pt.sum(
            -0.5 * ((value - shifts) / sigma) ** 2
            - free * (0.5 * np.log(2 * np.pi) + pt.log(sigma)),
            axis=-1,
        )

    def start(rv, size, fixed, sigma, *weights):
        # Zero, whatever the data: nutpie starts from jittered slopes, and a start
        # read from the data would differ between two panels sharing a compiled
        # model (:mod:`exlink.models.compiled_models`); so does a start that reads
        # the data only for its shape.
        return pt.zeros((n_rows, n))

    level = pm.CustomDist(
        name,
        pt.stack(fixed),
        sigma,
        *weights,
        dist=draw,
        logp=logp,
        support_point=start,
        dims=dims,
        transform=pm.distributions.transforms.ZeroSumTransform([-1]),
    )
    rows = [level[j] for j in range(n_rows)]
    # Each row reads its own level and its own fixed shift, not a row of a stacked
    # one: the gradient then stays one term per row.
    return level, [rows[j] - shift(j, rows, fixed, weights) for j in range(n_rows)]


def _lagged(row: pt.TensorVariable, lag: int) -> pt.TensorVariable:
    """``row`` moved ``lag`` places along its axis, zeros first."""
    if lag == 0:
        return row
    return pt.concatenate([pt.zeros(lag), row[:-lag]])


def level_sources(design: ChainDesign) -> dict[int, int]:
    """Link index -> source stage, for the links whose unit levels follow their source's.

    A link out of a latent stage that comes before its target in the chain's
    order (:mod:`exlink.models.unit_levels`), unless the model's draws were
    sampled before levels followed latent sources
    (:attr:`~exlink.models.design.ChainDesign.latent_source_levels`).
    """
    if not design.latent_source_levels:
        return {}
    position = {
        design.stage_names.index(n): p for p, n in enumerate(design.chain.topological_order())
    }
    return {
        i: term.source
        for i, term in enumerate(design.links)
        if design.is_latent(term.source) and position[term.source] < position[term.target]
    }
