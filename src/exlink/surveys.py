"""Survey-measured stages: the number of responses behind each value and their spread.

An EX or CX stage is often the mean of a few dozen survey responses per unit
and period. Such a value carries sampling error: its variance is the
responses' variance divided by their number. :class:`Survey` names, for one
stage, the columns that say how many responses each value rests on and how
they spread; the chain model then treats the stage's true value as latent
and the survey mean as a noisy measurement of it (see
:mod:`exlink.models.graph`).

The per-response variance of a stage value comes from

- ``kind="mean"``: the ``sd`` column squared, or a parameter of the stage
  estimated from the data when there is no ``sd`` column;
- ``kind="nps"`` (a Net Promoter Score, -100 to 100, from 0-10 answers):
  ``100**2 * (p + d - (p - d)**2)`` with ``p`` and ``d`` the shares of
  promoters and detractors (``promoters`` and ``detractors`` columns),
  else the ``sd`` column squared, else estimated;
- ``kind="proportion"`` (a share in [0, 1]): ``p * (1 - p)``.

Shares in these formulas are smoothed by half a response per category
(``p = (p * n + 0.5) / (n + 0.5 * categories)``), so that a cell where every
response agreed still carries sampling error. The model pools the cells'
variances within each unit (:func:`pool_by_unit`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from exlink import _frame_checks as frame_checks
from exlink._names import unknown_name_message
from exlink.dims import PERIOD, SURVEY_COLUMN, UNIT

SURVEY_KINDS: tuple[str, ...] = ("mean", "nps", "proportion")
"""What a survey stage's value is: a mean of responses, an NPS, or a share."""

NPS_PROMOTER = 9
"""Answers of 9 and 10 (on 0 to 10) are promoters."""
NPS_DETRACTOR = 6
"""Answers of 0 to 6 are detractors."""


@dataclass(frozen=True)
class Survey:
    """How one stage is measured by a survey.

    Parameters
    ----------
    n
        Column with the number of responses behind each value: a whole
        number >= 1 wherever the stage has a value.
    sd
        Column with the standard deviation of those responses (for a mean
        or an NPS), or ``None``: the response SD is then a parameter of the
        stage, estimated from how the values' spread falls with ``n``.
    kind
        ``"mean"`` (a mean of responses), ``"nps"`` (Net Promoter Score,
        -100 to 100) or ``"proportion"`` (a share in [0, 1]).
    promoters, detractors
        For ``kind="nps"``: columns with the shares (0 to 1) of promoters
        and detractors, from which the sampling variance follows.

    Examples
    --------
    >>> Survey(n="engagement_n", sd="engagement_sd")
    Survey(n='engagement_n', sd='engagement_sd', kind='mean', promoters=None, detractors=None)
    """

    n: str
    sd: str | None = None
    kind: str = "mean"
    promoters: str | None = None
    detractors: str | None = None

    def __post_init__(self) -> None:
        for argument in ("n", "sd", "promoters", "detractors"):
            value = getattr(self, argument)
            if argument == "n" and value is None:
                raise ValueError("Survey needs n: the column with the number of responses.")
            if value is not None and (not isinstance(value, str) or not value):
                raise TypeError(f"Survey {argument} must be a column name, got {value!r}.")
        if self.kind not in SURVEY_KINDS:
            raise ValueError(
                f"Survey kind must be one of {', '.join(SURVEY_KINDS)}, got {self.kind!r}."
            )
        shares = (self.promoters is None, self.detractors is None)
        if self.kind != "nps" and not all(shares):
            raise ValueError("Survey promoters and detractors are for kind='nps' only.")
        if any(shares) and not all(shares):
            raise ValueError("Survey needs both promoters and detractors, or neither.")
        if len(set(self.columns)) < len(self.columns):
            raise ValueError(f"Survey names one column for two parts: {self.columns}.")
        if self.kind == "proportion" and self.sd is not None:
            raise ValueError(
                "Survey kind='proportion' takes no sd: its variance is p(1-p) per response."
            )

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the survey names, ``n`` first."""
        named = (self.n, self.sd, self.promoters, self.detractors)
        return tuple(c for c in named if c is not None)

    @property
    def estimated(self) -> bool:
        """True when the per-response SD is a parameter of the model."""
        return self.kind != "proportion" and self.sd is None and self.promoters is None

    def to_dict(self) -> dict[str, str]:
        """The non-default fields, as written in a chain file's ``surveys:`` block."""
        out = {"n": self.n, "kind": self.kind}
        for key in ("sd", "promoters", "detractors"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_mapping(cls, stage: str, value: Any) -> Survey:
        """Read ``{n: ..., sd: ..., kind: ...}`` (or a bare ``n`` column name) for ``stage``."""
        if isinstance(value, Survey):
            return value
        if isinstance(value, str):
            return cls(n=value)
        if not isinstance(value, Mapping):
            raise TypeError(
                f"surveys: {stage!r} must be an exlink.Survey or a mapping such as "
                f"{{n: {stage}_n, sd: {stage}_sd}}, got {type(value).__name__}."
            )
        known = ("n", "sd", "kind", "promoters", "detractors")
        for key in value:
            if key not in known:
                raise ValueError(
                    f"surveys: {stage!r}: " + unknown_name_message("survey key", str(key), known)
                )
        if "n" not in value:
            raise ValueError(
                f"surveys: {stage!r} needs n, the column with the number of responses behind "
                "each value."
            )
        return cls(**dict(value))


def read_surveys(
    surveys: Mapping[str, Any] | None, stage_names: tuple[str, ...]
) -> dict[str, Survey]:
    """Validate a ``{stage: Survey}`` mapping against the panel's stages."""
    if surveys is None:
        return {}
    if not isinstance(surveys, Mapping):
        raise TypeError(
            "surveys must map stage names to exlink.Survey, such as "
            "{'engagement': xl.Survey(n='engagement_n')}, "
            f"got {type(surveys).__name__}."
        )
    out = {}
    for stage, value in surveys.items():
        if stage not in stage_names:
            raise ValueError(
                "surveys names a stage that is not among the panel's stages: "
                + unknown_name_message("stage", str(stage), stage_names)
            )
        out[stage] = Survey.from_mapping(stage, value)
    return out


def check_survey_cells(
    stage: str,
    survey: Survey,
    values: np.ndarray,
    columns: Mapping[str, np.ndarray],
    where: Callable[[np.ndarray], str],
) -> None:
    """Refuse survey columns that contradict the stage's values.

    ``values`` and each column are flat arrays over the data's rows;
    ``where(mask)`` names the rows of a boolean mask for a message.
    """
    present = ~np.isnan(values)
    n = columns[survey.n]

    def refuse(mask: np.ndarray, problem: str, fix: str) -> None:
        if mask.any():
            raise ValueError(
                f"survey stage {stage!r}: {problem} in {int(mask.sum())} row(s), "
                f"first at {where(mask)}. {fix}"
            )

    refuse(
        present & np.isnan(n),
        f"the response count {survey.n!r} is missing where {stage!r} has a value",
        "Give the number of responses behind every value, or leave the value missing.",
    )
    refuse(
        present & (n <= 0),
        f"the response count {survey.n!r} is zero or negative where {stage!r} has a value",
        "A value needs at least one response; leave the value missing where there were none.",
    )
    refuse(
        ~np.isnan(n) & (n != np.round(n)),
        f"the response count {survey.n!r} is not a whole number",
        "Give the number of responses, not a weight or an average.",
    )
    refuse(
        ~np.isnan(n) & (n < 0),
        f"the response count {survey.n!r} is negative",
        "Counts are 0 or more.",
    )
    if survey.sd is not None:
        sd = columns[survey.sd]
        refuse(sd < 0, f"the response SD {survey.sd!r} is negative", "An SD is 0 or more.")
        refuse(
            present & ~np.isnan(sd) & (n < 2),
            f"the response SD {survey.sd!r} is given with fewer than 2 responses",
            "An SD needs two responses: leave it missing where n is 1.",
        )
        refuse(
            present & np.isnan(sd) & (n >= 2),
            f"the response SD {survey.sd!r} is missing where {stage!r} rests on 2 or more "
            "responses",
            f"Fill it, or drop sd from the survey of {stage!r} to estimate the response SD.",
        )
    if survey.kind == "nps":
        refuse(
            present & (np.abs(values) > 100),
            f"an NPS value lies outside -100 to 100 in {stage!r}",
            "Give NPS as promoters minus detractors in percentage points.",
        )
        if survey.promoters is not None:
            p, d = columns[survey.promoters], columns[survey.detractors]
            refuse(
                present & (np.isnan(p) | np.isnan(d)),
                "a promoter or detractor share is missing",
                "Give both shares wherever the NPS has a value.",
            )
            refuse(
                present & ((p < 0) | (d < 0) | (p + d > 1 + 1e-9)),
                "promoter and detractor shares are not shares (each 0 to 1, summing to 1 at most)",
                "Give shares, not percentages or counts.",
            )
    if survey.kind == "proportion":
        refuse(
            present & ((values < 0) | (values > 1)),
            f"a value of the proportion {stage!r} lies outside 0 to 1",
            "Give the share as a number from 0 to 1.",
        )


def response_variance(
    survey: Survey, values: np.ndarray, columns: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Per-response variance behind each value, on the stage's scale, cell by cell.

    Arrays share one shape; ``columns`` holds each column the survey names.
    NaN where the response SD is estimated, or where an ``sd`` column has no
    SD (a single response); :func:`pool_by_unit` fills those.
    """
    n = columns[survey.n]
    if survey.kind == "proportion":
        p = _smoothed(values, n, 2)
        return p * (1 - p)
    if survey.promoters is not None:
        return nps_variance(columns[survey.promoters], columns[survey.detractors], n)
    if survey.sd is None:
        return np.full(values.shape, np.nan)
    return columns[survey.sd] ** 2


def pooled_cells(
    survey: Survey, values: np.ndarray, columns: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of one survey-measured column: its responses and per-response variance.

    ``n`` is 0 and the variance NaN where the value is missing; elsewhere the
    variance is the unit's pooled one (:func:`pool_by_unit`), NaN where the
    response SD is estimated. ``columns`` holds each column the survey names.
    """
    present = ~np.isnan(values)
    n = np.where(present, columns[survey.n], 0.0)
    cells = np.where(present, response_variance(survey, values, columns), np.nan)
    return n, np.where(present, pool_by_unit(cells, n), np.nan)


def pool_by_unit(variance: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Each unit's pooled per-response variance in all its cells, shape ``(units, periods)``.

    Pooled over the unit's periods with weights ``n - 1``: a cell's own SD,
    from a few dozen responses, is too noisy to weight its value by (and
    ``E[1 / s**2] > 1 / sigma**2``, so its noise would understate the sampling
    error on average). A unit without a cell of two or more responses takes
    the stage's pooled variance. All NaN when the variance is estimated.
    """
    weights = np.where(np.isnan(variance) | ~(n >= 2), 0.0, n - 1)
    if not weights.sum() > 0:
        return np.full(variance.shape, np.nan)
    total = np.sum(np.nan_to_num(variance) * weights, axis=1)
    stage = float(total.sum() / weights.sum())
    by_unit = np.where(
        weights.sum(axis=1) > 0, total / np.maximum(weights.sum(axis=1), 1e-300), stage
    )
    return np.broadcast_to(by_unit[:, None], variance.shape).copy()


def nps_variance(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per-response variance of an NPS score (100, 0 or -100 per response).

    ``100**2 * (p + d - (p - d)**2)`` with the promoter and detractor shares
    ``p`` and ``d`` smoothed by half a response per category.

    >>> float(nps_variance(np.array(0.5), np.array(0.2), np.array(1e12)).round(1))
    6100.0
    """
    p = _smoothed(promoters, n, 3)
    d = _smoothed(detractors, n, 3)
    return 100.0**2 * (p + d - (p - d) ** 2)


def _smoothed(share: np.ndarray, n: np.ndarray, categories: int) -> np.ndarray:
    n = np.where(np.isnan(n), 0.0, n)
    return (share * n + 0.5) / (n + 0.5 * categories)


def survey_cube(
    df: pd.DataFrame,
    names: Sequence[str],
    shape: tuple[int, int],
    rows: np.ndarray,
    positions: np.ndarray,
) -> xr.DataArray:
    """The survey columns on the unit x period grid, NaN in absent rows."""
    values = np.full((len(names), *shape), np.nan)
    for i, name in enumerate(names):
        values[i, rows, positions] = frame_checks.numeric_values(df[name], name, "survey")
    return xr.DataArray(
        values,
        dims=(SURVEY_COLUMN, UNIT, PERIOD),
        coords={SURVEY_COLUMN: list(names)},
        name="survey_data",
    )
