"""From one row per survey response to one row per unit and period.

:func:`aggregate_responses` builds, per unit and period, each survey stage's
mean, number of responses and SD (or, for a 0-10 recommendation question, the
NPS and its shares of promoters and detractors). Cells with fewer than
``min_responses`` answers are withheld: their value is left missing (a common
privacy rule in employee surveys), and the number withheld per stage is
reported. :meth:`exlink.Panel.from_responses` makes a panel of the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from exlink import _frame_checks as frame_checks
from exlink._names import format_rows
from exlink.data import Panel
from exlink.surveys import NPS_DETRACTOR, NPS_PROMOTER, Survey


@dataclass(frozen=True)
class AggregatedResponses:
    """Survey stages per unit and period, built from individual responses.

    Attributes
    ----------
    frame
        One row per ``(unit, period)`` with at least one response: for each
        stage its value and the columns its :class:`~exlink.surveys.Survey`
        names (``{stage}_n``, ``{stage}_sd``, or ``{stage}_promoters`` and
        ``{stage}_detractors`` for an NPS).
    surveys
        Stage -> :class:`~exlink.surveys.Survey` for those columns.
    withheld
        Per stage, the cells withheld for having fewer than ``min_responses``
        answers (their value is missing, their count kept).
    """

    frame: pd.DataFrame
    surveys: dict[str, Survey]
    withheld: pd.Series


def aggregate_responses(
    responses: pd.DataFrame,
    *,
    unit: str,
    period: str,
    stages: Mapping[str, str] | None = None,
    nps: Mapping[str, str] | Sequence[str] | None = None,
    min_responses: int = 5,
) -> AggregatedResponses:
    """Means, counts and SDs per unit and period from one row per response.

    Parameters
    ----------
    responses
        One row per response; it is not modified.
    unit, period
        Columns naming each response's unit and period.
    stages
        Stage name -> column of numeric answers averaged into the stage.
    nps
        0-10 likelihood-to-recommend columns made into a Net Promoter Score
        (promoters answer 9 or 10, detractors 0 to 6): a list of columns
        (each stage named after its column) or stage name -> column.
    min_responses
        Cells with fewer answers than this are withheld (value missing).

    Returns
    -------
    AggregatedResponses
    """
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a pandas DataFrame, got {type(responses).__name__}.")
    if isinstance(min_responses, bool) or not isinstance(min_responses, int | np.integer):
        raise TypeError(f"min_responses must be a whole number, got {min_responses!r}.")
    if min_responses < 1:
        raise ValueError(f"min_responses must be at least 1, got {min_responses}.")
    means = _as_mapping(stages, "stages")
    scores = _as_mapping(nps, "nps")
    if not means and not scores:
        raise ValueError("from_responses needs at least one stage: stages={...} or nps=[...].")
    for stage in set(means) & set(scores):
        raise ValueError(f"stage {stage!r} is named in both stages and nps.")
    frame_checks.check_columns(responses, [unit, period, *means.values(), *scores.values()])
    if responses.empty:
        raise ValueError("responses has no rows.")
    for column in (unit, period):
        absent = responses[column].isna().to_numpy()
        if absent.any():
            raise ValueError(
                f"column {column!r} is missing in responses rows "
                f"{format_rows(responses.index[absent])}: every response needs its {column}."
            )
    keys = [responses[unit], responses[period]]
    parts, surveys = [], {}
    withheld = {}
    for stage, column in means.items():
        answers = pd.Series(
            frame_checks.numeric_values(responses[column], column, "response"),
            index=responses.index,
        )
        grouped = answers.groupby(keys, sort=True)
        n, mean, sd = grouped.count(), grouped.mean(), grouped.std(ddof=1)
        few = n < min_responses
        withheld[stage] = int((few & (n > 0)).sum())
        sd = sd.where(n >= 2)
        parts.append(
            pd.DataFrame({stage: mean.mask(few), f"{stage}_n": n, f"{stage}_sd": sd.mask(few)})
        )
        surveys[stage] = Survey(n=f"{stage}_n", sd=f"{stage}_sd")
    for stage, column in scores.items():
        answers = frame_checks.numeric_values(responses[column], column, "response")
        given = ~np.isnan(answers)
        bad = given & ((answers < 0) | (answers > 10) | (answers != np.round(answers)))
        if bad.any():
            raise ValueError(
                f"NPS column {column!r} holds answers other than whole numbers 0 to 10 in rows "
                f"{format_rows(responses.index[bad])}: give the likelihood-to-recommend answer."
            )
        flags = pd.DataFrame(
            {
                "answered": given.astype(float),
                "promoter": np.where(given, answers >= NPS_PROMOTER, np.nan),
                "detractor": np.where(given, answers <= NPS_DETRACTOR, np.nan),
            },
            index=responses.index,
        ).groupby(keys, sort=True)
        n = flags["answered"].sum()
        promoters, detractors = flags["promoter"].mean(), flags["detractor"].mean()
        few = n < min_responses
        withheld[stage] = int((few & (n > 0)).sum())
        parts.append(
            pd.DataFrame(
                {
                    stage: (100.0 * (promoters - detractors)).mask(few),
                    f"{stage}_n": n.astype(int),
                    f"{stage}_promoters": promoters.mask(few),
                    f"{stage}_detractors": detractors.mask(few),
                }
            )
        )
        surveys[stage] = Survey(
            n=f"{stage}_n",
            kind="nps",
            promoters=f"{stage}_promoters",
            detractors=f"{stage}_detractors",
        )
    frame = pd.concat(parts, axis=1)
    frame.index = frame.index.set_names([unit, period])
    for survey in surveys.values():
        frame[survey.n] = frame[survey.n].fillna(0).astype(int)
    return AggregatedResponses(
        frame.reset_index(), surveys, pd.Series(withheld, name="withheld", dtype=int)
    )


def _as_mapping(value: Mapping[str, str] | Sequence[str] | None, argument: str) -> dict:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out = dict(value)
    else:
        names = frame_checks.as_names(value, argument)
        out = {name: name for name in names}
    for stage, column in out.items():
        if not isinstance(stage, str) or not isinstance(column, str):
            raise TypeError(f"{argument} must map stage names to column names, got {value!r}.")
    return out


def join_responses(
    data: pd.DataFrame, frame: pd.DataFrame, unit: str, period: str, surveys: Mapping
) -> pd.DataFrame:
    """Join aggregated responses onto unit-period data; every response must find its row."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    frame_checks.check_columns(data, [unit, period])
    clash = [c for c in frame.columns if c in data.columns and c not in (unit, period)]
    if clash:
        raise ValueError(
            f"column {clash[0]!r} is both in data and made from the responses: rename one."
        )
    units = set(data[unit])
    stray = ~frame[unit].isin(units)
    if stray.any():
        raise ValueError(
            f"responses name {int(stray.sum())} cell(s) whose {unit} is not in data, such as "
            f"{format_rows(frame.loc[stray, unit].unique())}: add those units to data or drop "
            "their responses."
        )
    keys = pd.MultiIndex.from_frame(data[[unit, period]])
    outside = ~pd.MultiIndex.from_frame(frame[[unit, period]]).isin(keys)
    if outside.any():
        row = frame[outside].iloc[0]
        raise ValueError(
            f"responses fall in {int(outside.sum())} (unit, period) cell(s) that data has no row "
            f"for, such as {unit} {format_rows([row[unit]])} in {period} "
            f"{format_rows([row[period]])}: give data a row for each, or drop those responses."
        )
    joined = data.merge(frame, on=[unit, period], how="left", validate="many_to_one")
    for survey in surveys.values():
        joined[survey.n] = joined[survey.n].fillna(0).astype(int)
    return joined


def panel_from_responses(
    responses: pd.DataFrame,
    *,
    unit: str,
    period: str,
    stages: Mapping[str, str] | None = None,
    nps: Mapping[str, str] | Sequence[str] | None = None,
    min_responses: int = 5,
    data: pd.DataFrame | None = None,
    data_stages: str | Sequence[str] | None = None,
    interventions: str | Sequence[str] | None = None,
    attributes: str | Sequence[str] | None = None,
) -> Panel:
    """Build a panel from one row per survey response (and, optionally, unit-period data).

    Each survey stage becomes the mean of its responses per unit and
    period, with the number of responses and their SD (for ``nps``, the
    Net Promoter Score with its promoter and detractor shares), and is
    declared a survey stage (see :mod:`exlink.surveys`). Cells with fewer
    than ``min_responses`` answers keep their count but lose their value;
    :meth:`exlink.data.Panel.withheld` counts them.

    Parameters
    ----------
    responses
        One row per response; it is not modified.
    unit, period
        Columns naming each response's unit and period (the panel's
        period, such as its month), in ``responses`` and in ``data``.
    stages
        Stage name -> column of numeric answers to average.
    nps
        0-10 likelihood-to-recommend columns, as a list (stages named
        after the columns) or stage name -> column.
    min_responses
        Fewest answers a cell needs to keep its value.
    data
        Optional long DataFrame with one row per unit and period holding
        the other stages, the interventions and the attributes. Every
        response's unit and period must be one of its rows.
    data_stages, interventions, attributes
        Columns of ``data``, as in :meth:`exlink.data.Panel.from_frame`.

    Returns
    -------
    Panel

    Examples
    --------
    >>> import pandas as pd
    >>> import exlink as xl
    >>> answers = pd.DataFrame({
    ...     "branch": ["a"] * 6 + ["b"] * 6 + ["c"] * 6,
    ...     "month": [1, 1, 2, 2, 3, 3] * 3,
    ...     "q_engaged": [4, 5, 3, 4, 5, 5, 2, 3, 4, 4, 3, 5, 1, 2, 2, 3, 4, 4],
    ... })
    >>> panel = xl.Panel.from_responses(
    ...     answers, unit="branch", period="month", stages={"engagement": "q_engaged"},
    ...     min_responses=2,
    ... )
    >>> panel.responses("engagement").tolist()
    [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    """
    aggregated = aggregate_responses(
        responses,
        unit=unit,
        period=period,
        stages=stages,
        nps=nps,
        min_responses=min_responses,
    )
    frame = aggregated.frame
    other = list(frame_checks.as_names(data_stages, "data_stages"))
    if data is not None:
        frame = join_responses(data, frame, unit, period, aggregated.surveys)
    elif other or interventions or attributes:
        raise ValueError(
            "data_stages, interventions and attributes are columns of data=: pass the "
            "unit-period DataFrame that holds them."
        )
    return Panel.from_frame(
        frame,
        unit=unit,
        period=period,
        stages=[*other, *aggregated.surveys],
        interventions=interventions,
        attributes=attributes,
        surveys=aggregated.surveys,
    )
