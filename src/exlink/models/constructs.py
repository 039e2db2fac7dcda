"""Constructs measured by several items, laid out as plain arrays.

A :class:`~exlink.spec.Construct` is a stage that no column holds: its items
do. Each item is standardised by its own observed mean and standard
deviation, and the construct's standardised scale is its marker item's (the
first item, whose loading is 1 and intercept 0). With ``m`` and ``s`` the
items' means and SDs, ``1`` the marker, and ``lam``, ``nu`` and ``theta`` a
loading, intercept and residual SD on the standardised scales, the
original-scale measurement model is::

    item[k] = m[k] + s[k] * (nu[k] + lam[k] * (eta - m[1]) / s[1]) + Normal(0, s[k] * theta[k])

so an item's loading is ``s[k] / s[1] * lam[k]`` points of the item per point
of the construct, its intercept ``m[k] + s[k] * nu[k] - loading * m[1]``, and
its residual SD ``s[k] * theta[k]``. Nothing here touches PyMC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exlink._names import unknown_name_message
from exlink.data import Panel
from exlink.dims import STAGE
from exlink.spec import Chain
from exlink.surveys import pooled_cells


@dataclass(frozen=True, eq=False)
class ConstructTerm:
    """One construct's items, standardised.

    Attributes
    ----------
    items
        The items' names, the marker first.
    y
        Standardised item values, shape ``(items, units, periods)``, NaN where missing.
    means, sds
        Each item's observed mean and standard deviation.
    sampling
        The sampling variance of each item value that is a survey mean
        (its per-response variance over its number of responses), over the
        item's variance; 0 for items that are not survey means and where a
        value is missing. Same shape as ``y``.
    """

    items: tuple[str, ...]
    y: np.ndarray
    means: np.ndarray
    sds: np.ndarray
    sampling: np.ndarray

    def restated(self, fitted: ConstructTerm) -> ConstructTerm:
        """These item values standardised by the fitted model's item means and SDs."""
        raw = self.y * self.sds[:, None, None] + self.means[:, None, None]
        y = (raw - fitted.means[:, None, None]) / fitted.sds[:, None, None]
        sampling = self.sampling * (self.sds / fitted.sds)[:, None, None] ** 2
        return ConstructTerm(self.items, y, fitted.means, fitted.sds, sampling)

    def loading_factor(self) -> np.ndarray:
        """Per item, original-scale loading per standardised loading: ``s[k] / s[marker]``."""
        return self.sds / self.sds[0]


def construct_terms(chain: Chain, panel: Panel) -> dict[str, ConstructTerm]:
    """Construct name -> its :class:`ConstructTerm`, read from the panel's stage columns."""
    out = {}
    for stage in chain.constructs:
        raw = panel.stages.sel({STAGE: list(stage.items)}).values.astype(float)
        for item, values in zip(stage.items, raw, strict=True):
            if np.isfinite(values).sum() < 2:
                raise ValueError(
                    f"item {item!r} of construct {stage.name!r} has fewer than two values in "
                    "the panel: leave it out of the construct's items."
                )
        means = np.nanmean(raw, axis=(1, 2))
        sds = np.array([np.nanstd(r, ddof=1) for r in raw])
        for item, sd in zip(stage.items, sds, strict=True):
            if not sd > 0:
                raise ValueError(
                    f"item {item!r} of construct {stage.name!r} never varies: it cannot "
                    "measure anything. Leave it out of the construct's items."
                )
        sampling = np.stack(
            [
                _sampling_variance(panel, stage.name, item, raw[k])
                for k, item in enumerate(stage.items)
            ]
        )
        out[stage.name] = ConstructTerm(
            stage.items,
            (raw - means[:, None, None]) / sds[:, None, None],
            means,
            sds,
            sampling / sds[:, None, None] ** 2,
        )
    return out


def _sampling_variance(panel: Panel, construct: str, item: str, values: np.ndarray) -> np.ndarray:
    """The sampling variance of an item's survey means, on its scale; 0 for other items."""
    survey = panel.surveys.get(item)
    present = ~np.isnan(values)
    if survey is None:
        return np.zeros(values.shape)
    n, variance = pooled_cells(survey, values, panel.survey_columns(item))
    if np.isnan(variance[present]).any():
        raise ValueError(
            f"item {item!r} of construct {construct!r} is a survey mean without the SD of its "
            f"responses: give it, Survey(n={survey.n!r}, sd='<column>'), or leave the item out "
            "of surveys= (its sampling error then joins its own noise)."
        )
    return np.where(present, variance / np.maximum(n, 1.0), 0.0)


def check_items_in_panel(chain: Chain, panel: Panel) -> None:
    """Refuse a panel that lacks an item of one of the chain's constructs."""
    for stage in chain.constructs:
        for item in stage.items:
            if item not in panel.stage_names:
                raise ValueError(
                    f"item {item!r} of construct {stage.name!r} is not in the panel: pass the "
                    "items' columns to Panel.from_frame(stages=[...]). "
                    + unknown_name_message("panel stage", item, panel.stage_names)
                )
        if stage.name in panel.stage_names:
            raise ValueError(
                f"the panel has a column {stage.name!r}, the name of a construct measured by "
                f"its items {list(stage.items)}: rename the construct or leave that column "
                "out of the panel's stages."
            )


def stage_values(chain: Chain, panel: Panel, terms: dict[str, ConstructTerm]) -> np.ndarray:
    """Every stage's values, ``(stages, units, periods)``; a construct's are all missing."""
    shape = (panel.n_units, panel.n_periods)
    rows = []
    for stage in chain.stages:
        if stage.name in terms:
            rows.append(np.full(shape, np.nan))
        else:
            rows.append(panel.stages.sel({STAGE: stage.name}).values.astype(float))
    return np.stack(rows)
