"""The Panel: a validated unit x period container built from a long DataFrame.

A :class:`Panel` holds the stages (measured quantities), the interventions'
rollouts and the unit attributes of a panel of business units observed over
periods, as labelled xarray objects whose dimension names come from
:mod:`exlink.dims`. It is built only through :meth:`Panel.from_frame`, which
checks the data and explains what is wrong; the DataFrame passed in is never
changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from exlink import _frame_checks as frame_checks
from exlink._names import format_rows, unknown_name_message
from exlink.dims import INTERVENTION, PERIOD, STAGE, SURVEY_COLUMN, UNIT
from exlink.periods import FREQUENCY_WORDS, PeriodGrid, period_grid
from exlink.surveys import Survey, check_survey_cells, read_surveys, survey_cube


class Panel:
    """Stages, intervention rollouts and unit attributes on a unit x period grid.

    Build one with :meth:`Panel.from_frame`. Rows absent from the data are
    absent cells (see :attr:`observed`); stage values that are missing in a
    present row are NaN and counted in :attr:`missing`, never dropped.

    Attributes
    ----------
    stages : xarray.DataArray
        Stage values, dims ``(stage, unit, period)``, NaN where unobserved.
    exposure : xarray.DataArray
        Intervention rollouts, dims ``(intervention, unit, period)``: a share
        in [0, 1] or a non-negative intensity, NaN only in absent rows.
    attributes : pandas.DataFrame
        One row per unit, one column per attribute.
    observed : xarray.DataArray
        Boolean, dims ``(unit, period)``: whether the data had that row.
    unit_column, period_column : str
        The names of the unit and period columns in the source DataFrame.
    frequency : str
        ``"integer"``, ``"month"`` or ``"quarter"``.
    surveys : dict of str to Survey
        The survey-measured stages and the columns that describe their
        responses (see :mod:`exlink.surveys`); empty when every stage is
        measured without sampling error.
    survey_data : xarray.DataArray
        The columns the surveys name, dims ``(survey_column, unit, period)``.
    """

    def __init__(
        self,
        stages: xr.DataArray,
        exposure: xr.DataArray,
        attributes: pd.DataFrame,
        observed: xr.DataArray,
        *,
        grid: PeriodGrid,
        units: pd.Index,
        unit_column: str,
        surveys: dict[str, Survey] | None = None,
        survey_data: xr.DataArray | None = None,
    ) -> None:
        self.stages = stages
        self.exposure = exposure
        self.attributes = attributes
        self.observed = observed
        self._grid = grid
        self._units = units
        self.unit_column = unit_column
        self.period_column = str(grid.labels.name)
        self.frequency = grid.frequency
        self.surveys = dict(surveys or {})
        if survey_data is None:
            survey_data = xr.DataArray(
                np.zeros((0, *observed.shape)),
                dims=(SURVEY_COLUMN, UNIT, PERIOD),
                coords={SURVEY_COLUMN: []} | {d: observed[d].values for d in (UNIT, PERIOD)},
            )
        self.survey_data = survey_data

    # -- construction -----------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        unit: str,
        period: str,
        stages: str | Sequence[str],
        interventions: str | Sequence[str] | None = None,
        attributes: str | Sequence[str] | None = None,
        surveys: Mapping[str, Survey] | None = None,
    ) -> Panel:
        """Build a panel from a long DataFrame with one row per unit and period.

        Parameters
        ----------
        df
            The data; it is not modified.
        unit
            Column naming the unit (branch, store, team) of each row: all text
            or all whole numbers (categorical columns are read by their
            values).
        period
            Column with the period: consecutive integers, or dates (monthly or
            quarterly, inferred; any day within a month stands for that month)
            in the years 1900 to 2200. Integers such as ``202311`` (year and
            month) and integers a fixed step apart (0, 50, 100) are refused
            with the conversion to make, as they would put phantom periods on
            the grid.
        stages
            Numeric columns with the measured quantities. Missing values are
            allowed and counted.
        interventions
            Columns with each intervention's rollout: a share in [0, 1] or a
            non-negative intensity, 0 where it was not in place, never missing.
        attributes
            Columns describing units (region, culture score, headcount); each
            must be constant within a unit.
        surveys
            Stage -> :class:`~exlink.surveys.Survey` for stages that are
            survey means, NPS or shares of a few dozen responses: the columns
            with the number of responses behind each value and, optionally,
            their standard deviation. The model then separates the stage's
            true value from its sampling error. Where a survey stage has a
            value, its count must be a whole number >= 1; an SD needs two
            responses.

        Returns
        -------
        Panel

        Raises
        ------
        TypeError
            For arguments of the wrong type, non-numeric stage or
            intervention values (the message names the column and rows), and
            unit labels that mix text and numbers.
        ValueError
            For absent columns (with the closest name), repeated
            ``(unit, period)`` rows, missing units, periods or rollouts,
            negative rollouts, attributes that vary within a unit, periods
            that would make a grid of mostly empty periods, dates outside
            1900 to 2200, and panels with fewer than 3 units or 3 periods.

        Examples
        --------
        >>> import exlink as xl
        >>> bank = xl.datasets.load_retail_bank()
        >>> panel = xl.Panel.from_frame(
        ...     bank.data, unit="branch", period="month",
        ...     stages=["engagement", "nps"], interventions=["coaching"],
        ...     attributes=["region"],
        ... )
        >>> panel.n_units, panel.n_periods
        (120, 36)
        """
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"Panel.from_frame needs a pandas DataFrame, got {type(df).__name__}.")
        roles = {
            "unit": frame_checks.as_names(unit, "unit", required=True),
            "period": frame_checks.as_names(period, "period", required=True),
            "stages": frame_checks.as_names(stages, "stages", required=True),
            "interventions": frame_checks.as_names(interventions, "interventions"),
            "attributes": frame_checks.as_names(attributes, "attributes"),
        }
        for argument in ("unit", "period"):
            if len(roles[argument]) != 1:
                raise TypeError(f"{argument} must be one column name, got {roles[argument]}.")
        survey_specs = read_surveys(surveys, roles["stages"])
        roles["survey columns"] = tuple(
            dict.fromkeys(c for survey in survey_specs.values() for c in survey.columns)
        )
        frame_checks.check_roles(roles)
        unit, period = roles["unit"][0], roles["period"][0]
        frame_checks.check_columns(df, [name for names in roles.values() for name in names])
        if df.empty:
            raise ValueError("the DataFrame has no rows.")

        labels = frame_checks.check_units(df[unit], unit)
        grid, positions = period_grid(df[period], period)
        units = _unit_index(labels)
        rows = units.get_indexer(labels)
        _refuse_repeated_rows(df, unit, grid, rows, positions)
        frame_checks.check_size(len(units), len(grid))

        shape = (len(units), len(grid))
        coords = {UNIT: units.to_numpy(), PERIOD: grid.labels.to_numpy()}
        present = np.zeros(shape, dtype=bool)
        present[rows, positions] = True

        def cube(names: Sequence[str], what: str, dim: str) -> xr.DataArray:
            values = np.full((len(names), *shape), np.nan)
            for i, name in enumerate(names):
                column = frame_checks.numeric_values(df[name], name, what)
                if what == "intervention":
                    frame_checks.check_exposure(column, df.index, name)
                elif np.isnan(column).all():
                    raise ValueError(f"stage column {name!r} has no values: every row is missing.")
                values[i, rows, positions] = column
            return xr.DataArray(
                values, dims=(dim, UNIT, PERIOD), coords={dim: list(names)} | coords
            )

        stage_cube = cube(roles["stages"], "stage", STAGE).rename("stages")
        exposure_cube = cube(roles["interventions"], "intervention", INTERVENTION).rename(
            "exposure"
        )
        attribute_table = frame_checks.unit_attributes(
            df.assign(**{unit: labels}), unit, roles["attributes"], units
        )
        observed = xr.DataArray(present, dims=(UNIT, PERIOD), coords=coords, name="observed")
        surveyed = survey_cube(df, roles["survey columns"], shape, rows, positions)
        surveyed = surveyed.assign_coords(coords)

        def where(mask: np.ndarray) -> str:
            i = int(np.argmax(mask))
            return (
                f"row {format_rows([df.index[i]])} ({unit} {format_rows([labels.iloc[i]])}, "
                f"period {grid.format(grid.labels[positions[i]])})"
            )

        for stage, survey in survey_specs.items():
            check_survey_cells(
                stage,
                survey,
                stage_cube.sel({STAGE: stage}).values[rows, positions],
                {
                    c: surveyed.sel({SURVEY_COLUMN: c}).values[rows, positions]
                    for c in survey.columns
                },
                where,
            )
        return cls(
            stage_cube,
            exposure_cube,
            attribute_table,
            observed,
            grid=grid,
            units=units,
            unit_column=unit,
            surveys=survey_specs,
            survey_data=surveyed,
        )

    @classmethod
    def from_cross_section(
        cls,
        df: pd.DataFrame,
        *,
        stages: str | Sequence[str],
        unit: str | None = None,
        attributes: str | Sequence[str] | None = None,
    ) -> Panel:
        """Build a panel of one period from one row per unit or respondent.

        The entry point of a cross-sectional survey: a customer survey of one
        wave for key-driver analysis, a published data set of one row per
        country. The model then has no unit or period effects (one value per
        unit cannot separate them from a unit's noise) and its links have
        lag 0.

        Parameters
        ----------
        df
            One row per unit; it is not modified.
        stages
            Numeric columns with the measured quantities (or a construct's items).
        unit
            Column naming each row's unit, unique per row; by default the row
            labels of ``df``.
        attributes
            Columns describing units.

        Returns
        -------
        Panel
            A panel whose single period is labelled ``0``.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"q1": [3.0, 4.0, 5.0, 2.0], "q2": [1.0, 2.0, 2.0, 1.0]})
        >>> panel = Panel.from_cross_section(df, stages=["q1", "q2"])
        >>> panel.n_units, panel.n_periods
        (4, 1)
        """
        if not isinstance(df, pd.DataFrame):
            raise TypeError(
                f"Panel.from_cross_section needs a pandas DataFrame, got {type(df).__name__}."
            )
        frame = df.copy()
        if unit is None:
            unit = "unit"
            while unit in frame.columns:
                unit = f"_{unit}"
            frame[unit] = frame.index.astype(str) if frame.index.dtype == object else frame.index
        period = "period"
        while period in frame.columns:
            period = f"_{period}"
        frame[period] = 0
        return cls.from_frame(frame, unit=unit, period=period, stages=stages, attributes=attributes)

    @classmethod
    def from_responses(
        cls,
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
        period with their count and SD (an NPS with its promoter and
        detractor shares), declared a survey stage; cells with fewer than
        ``min_responses`` answers keep their count but lose their value
        (:meth:`withheld`). :func:`exlink.responses.panel_from_responses`
        describes every argument.
        """
        from exlink.responses import panel_from_responses

        return panel_from_responses(
            responses,
            unit=unit,
            period=period,
            stages=stages,
            nps=nps,
            min_responses=min_responses,
            data=data,
            data_stages=data_stages,
            interventions=interventions,
            attributes=attributes,
        )

    # -- shape ----------------------------------------------------------------------
    @property
    def units(self) -> pd.Index:
        """Unit labels, sorted where they can be."""
        return self._units

    @property
    def periods(self) -> pd.Index:
        """Every period of the grid, first to last, gaps included."""
        return self._grid.labels

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self._units)

    @property
    def n_periods(self) -> int:
        """Number of periods on the grid, gaps included."""
        return len(self._grid)

    @property
    def stage_names(self) -> tuple[str, ...]:
        """Stage columns, in the order given."""
        return tuple(self.stages[STAGE].values.tolist())

    @property
    def intervention_names(self) -> tuple[str, ...]:
        """Intervention columns, in the order given."""
        return tuple(self.exposure[INTERVENTION].values.tolist())

    @property
    def attribute_names(self) -> tuple[str, ...]:
        """Attribute columns, in the order given."""
        return tuple(self.attributes.columns)

    # -- what is missing --------------------------------------------------------------
    @property
    def missing(self) -> pd.Series:
        """Missing stage values per stage, counted over the rows present."""
        counts = (self.stages.isnull() & self.observed).sum((UNIT, PERIOD))
        return pd.Series(counts.values, index=list(self.stage_names), name="missing")

    def withheld(self) -> pd.Series:
        """Per survey stage, cells with responses but no value (withheld or missing)."""
        counts = {}
        for stage, survey in self.surveys.items():
            n = self.survey_data.sel({SURVEY_COLUMN: survey.n}).values
            counts[stage] = int(((n > 0) & np.isnan(self.stage(stage).values)).sum())
        return pd.Series(counts, name="withheld", dtype=int)

    @property
    def gaps(self) -> pd.Index:
        """Periods of the grid with no row for any unit."""
        empty = ~self.observed.any(UNIT).values
        return self.periods[empty]

    @property
    def absent_rows(self) -> pd.DataFrame:
        """The ``(unit, period)`` cells with no row in the data."""
        u, t = np.nonzero(~self.observed.values)
        return pd.DataFrame({self.unit_column: self.units[u], self.period_column: self.periods[t]})

    @property
    def is_balanced(self) -> bool:
        """True when every unit has a row in every period."""
        return bool(self.observed.all())

    # -- views -------------------------------------------------------------------------
    def responses(self, stage: str) -> pd.Series:
        """Responses behind each value of a survey stage, one entry per cell with a value.

        Indexed by ``(unit, period)``; see :attr:`surveys`.
        """
        if stage not in self.surveys:
            raise KeyError(unknown_name_message("survey stage", stage, list(self.surveys)))
        values = self.stage(stage).values
        n = self.survey_data.sel({SURVEY_COLUMN: self.surveys[stage].n}).values
        u, t = np.nonzero(~np.isnan(values))
        index = pd.MultiIndex.from_arrays(
            [self.units.take(u), self.periods.take(t)],
            names=[self.unit_column, self.period_column],
        )
        return pd.Series(n[u, t], index=index, name=f"{stage} responses")

    def survey_columns(self, stage: str) -> dict[str, np.ndarray]:
        """The columns a survey stage's :class:`~exlink.surveys.Survey` names, as arrays.

        Each is ``(units, periods)``, by column name; empty for a stage that
        is not survey-measured.
        """
        survey = self.surveys.get(stage)
        if survey is None:
            return {}
        return {c: self.survey_data.sel({SURVEY_COLUMN: c}).values for c in survey.columns}

    def stage(self, name: str) -> xr.DataArray:
        """One stage as a ``(unit, period)`` array."""
        if name not in self.stage_names:
            raise KeyError(unknown_name_message("stage", name, self.stage_names))
        return self.stages.sel({STAGE: name})

    def lag(self, name: str, lag: int) -> xr.DataArray:
        """A stage ``lag`` periods earlier: the value at ``t - lag`` in cell ``t``.

        The first ``lag`` periods are NaN: their past lies before the panel.
        """
        if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 0:
            raise ValueError(f"lag must be a whole number >= 0, got {lag!r}.")
        return self.stage(name).shift({PERIOD: int(lag)})

    def rollout(self) -> pd.DataFrame:
        """How each intervention was rolled out: units reached, waves, first and last period.

        Returns
        -------
        pandas.DataFrame
            One row per intervention with ``units_treated``, ``share_treated``,
            ``first_period``, ``last_period`` (any unit), ``waves`` (distinct
            start periods), ``max_exposure`` and ``kind`` (``"share"`` when the
            rollout stays within [0, 1], else ``"intensity"``).
        """
        rows = []
        for name in self.intervention_names:
            exposure = self.exposure.sel({INTERVENTION: name}).fillna(0.0).values
            active = exposure > 0
            treated = active.any(axis=1)
            starts = active.argmax(axis=1)[treated]
            active_periods = np.nonzero(active.any(axis=0))[0]
            rows.append(
                {
                    "intervention": name,
                    "units_treated": int(treated.sum()),
                    "share_treated": float(treated.mean()),
                    "first_period": self.periods[active_periods[0]] if treated.any() else None,
                    "last_period": self.periods[active_periods[-1]] if treated.any() else None,
                    "waves": len(np.unique(starts)),
                    "max_exposure": float(exposure.max()),
                    "kind": "share" if exposure.max() <= 1 else "intensity",
                }
            )
        columns = [
            "intervention",
            "units_treated",
            "share_treated",
            "first_period",
            "last_period",
            "waves",
            "max_exposure",
            "kind",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("intervention")

    def describe(self) -> pd.DataFrame:
        """Summary statistics of every stage and intervention column.

        Returns
        -------
        pandas.DataFrame
            One row per column with ``kind``, ``count`` (values present),
            ``missing``, ``mean``, ``sd``, ``min`` and ``max``.
        """
        rows = {}
        present = self.observed.values
        for kind, cube, dim in (
            ("stage", self.stages, STAGE),
            ("intervention", self.exposure, INTERVENTION),
        ):
            for name in cube[dim].values.tolist():
                values = cube.sel({dim: name}).values[present]
                values = values[~np.isnan(values)]
                rows[name] = {
                    "kind": kind,
                    "count": len(values),
                    "missing": int(present.sum()) - len(values),
                    "mean": values.mean() if len(values) else np.nan,
                    "sd": values.std(ddof=1) if len(values) > 1 else np.nan,
                    "min": values.min() if len(values) else np.nan,
                    "max": values.max() if len(values) else np.nan,
                }
        return pd.DataFrame.from_dict(rows, orient="index")

    def format_period(self, label: object) -> str:
        """A period label as short text: ``'7'``, ``'2024-03'`` or ``'2024Q1'``."""
        return self._grid.format(label)

    # -- conversion ------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The panel as a long DataFrame, one row per ``(unit, period)`` present.

        Columns are the unit, the period, the stages, the interventions, the
        survey columns and the attributes, under their original names; rows are ordered by unit
        and period. Dated periods come back as the first day of their month.
        """
        u, t = np.nonzero(self.observed.values)
        frame = pd.DataFrame(
            {self.unit_column: self.units.take(u), self.period_column: self.periods.take(t)}
        )
        for name in self.stage_names:
            frame[name] = self.stages.sel({STAGE: name}).values[u, t]
        for name in self.intervention_names:
            frame[name] = self.exposure.sel({INTERVENTION: name}).values[u, t]
        for name in self.survey_data[SURVEY_COLUMN].values.tolist():
            frame[name] = self.survey_data.sel({SURVEY_COLUMN: name}).values[u, t]
        for name in self.attribute_names:
            frame[name] = self.attributes[name].take(u).to_numpy()
            frame[name] = frame[name].astype(self.attributes[name].dtype)
        return frame

    def to_xarray(self) -> xr.Dataset:
        """Stages, exposure and the observed mask in one Dataset, attributes as unit coordinates.

        :meth:`from_xarray` reads it back.
        """
        dataset = xr.Dataset(
            {
                "stages": self.stages,
                "exposure": self.exposure,
                "observed": self.observed,
                "survey_data": self.survey_data,
            }
        )
        dataset = dataset.assign_coords(
            {name: (UNIT, self.attributes[name].to_numpy()) for name in self.attribute_names}
        )
        dataset.attrs = {
            "unit_column": self.unit_column,
            "period_column": self.period_column,
            "frequency": self.frequency,
            "attributes": json.dumps(list(self.attribute_names)),
            "surveys": json.dumps({k: v.to_dict() for k, v in self.surveys.items()}),
        }
        return dataset

    def with_exposure(self, exposure: xr.DataArray) -> Panel:
        """A copy of the panel with other intervention columns; everything else is shared.

        Parameters
        ----------
        exposure
            Dims ``(intervention, unit, period)`` over this panel's units and
            periods, as :attr:`exposure`: a rollout share in [0, 1] or a
            non-negative intensity, NaN only in absent rows.

        Returns
        -------
        Panel
            A new panel; this one is not changed.
        """
        if not isinstance(exposure, xr.DataArray) or exposure.dims != (INTERVENTION, UNIT, PERIOD):
            raise ValueError(
                "with_exposure needs a DataArray with dims (intervention, unit, period); got "
                f"{getattr(exposure, 'dims', type(exposure).__name__)}."
            )
        if exposure.shape[1:] != self.observed.shape:
            raise ValueError(
                f"with_exposure: the exposure covers {exposure.shape[1]} units and "
                f"{exposure.shape[2]} periods; the panel has {self.n_units} and {self.n_periods}."
            )
        return type(self)(
            self.stages,
            exposure,
            self.attributes,
            self.observed,
            grid=self._grid,
            units=self._units,
            unit_column=self.unit_column,
            surveys=self.surveys,
            survey_data=self.survey_data,
        )

    def split(self, by: str) -> dict[Any, Panel]:
        """One panel per value of a unit attribute (a region, a business line).

        Parameters
        ----------
        by
            A unit attribute with no missing value.

        Returns
        -------
        dict
            Attribute value -> the panel of its units, in order of first
            appearance; every period is kept. Each needs at least 3 units.

        Examples
        --------
        >>> import exlink as xl
        >>> panel = xl.datasets.make_service_chain(n_units=20, n_periods=6, seed=1).panel()
        >>> {region: part.n_units for region, part in panel.split("region").items()}
        {'south': 6, 'east': 3, 'west': 6, 'north': 5}
        """
        if by not in self.attribute_names:
            raise ValueError(
                "split: " + unknown_name_message("unit attribute", by, self.attribute_names)
            )
        values = self.attributes[by]
        if values.isna().any():
            missing = list(values.index[values.isna()])
            raise ValueError(
                f"split: attribute {by!r} is missing for unit(s) {missing[:5]}: give every unit "
                "a value, or split by another attribute."
            )
        out = {}
        for value in pd.unique(values):
            units = list(values.index[values == value])
            if len(units) < frame_checks.MIN_UNITS:
                raise ValueError(
                    f"split: {by} = {value!r} has {len(units)} unit(s); a panel needs at least "
                    f"{frame_checks.MIN_UNITS}. Merge it with another group or split by another "
                    "attribute."
                )
            out[value] = self._units_only(units)
        return out

    def _units_only(self, units: list) -> Panel:
        pick = {UNIT: units}
        return type(self)(
            self.stages.sel(pick),
            self.exposure.sel(pick),
            self.attributes.loc[units],
            self.observed.sel(pick),
            grid=self._grid,
            units=self._units[self._units.isin(units)],
            unit_column=self.unit_column,
            surveys=self.surveys,
            survey_data=self.survey_data.sel(pick),
        )

    @classmethod
    def from_xarray(cls, dataset: xr.Dataset) -> Panel:
        """Rebuild a panel from :meth:`to_xarray` output (for example a saved model's data)."""
        attributes = json.loads(dataset.attrs["attributes"])
        units = pd.Index(dataset[UNIT].values, name=dataset.attrs["unit_column"])
        labels = pd.Index(dataset[PERIOD].values, name=dataset.attrs["period_column"])
        grid = PeriodGrid(labels, dataset.attrs["frequency"])
        table = pd.DataFrame({name: dataset[name].values for name in attributes}, index=units)
        plain = dataset.drop_vars(attributes)
        surveys = json.loads(dataset.attrs.get("surveys", "{}"))
        return cls(
            plain["stages"].astype(float),
            plain["exposure"].astype(float),
            table,
            plain["observed"].astype(bool),
            grid=grid,
            units=units,
            unit_column=str(dataset.attrs["unit_column"]),
            surveys={k: Survey(**v) for k, v in surveys.items()},
            survey_data=plain["survey_data"].astype(float) if "survey_data" in plain else None,
        )

    def __repr__(self) -> str:
        periods = self.periods
        span = f"{self.format_period(periods[0])} .. {self.format_period(periods[-1])}"
        rows = int(self.observed.values.sum())
        lines = [
            f"Panel: {self.n_units} units ({self.unit_column}) x {self.n_periods} periods "
            f"({self.period_column}, {FREQUENCY_WORDS[self.frequency]}, {span})",
            f"  rows        {rows} of {self.n_units * self.n_periods}"
            + (" (balanced)" if self.is_balanced else " (unbalanced)"),
            f"  stages      {', '.join(self.stage_names)}",
        ]
        missing = self.missing[self.missing > 0]
        if len(missing):
            lines.append(
                "  missing     "
                + ", ".join(f"{name} {n} ({n / rows:.1%})" for name, n in missing.items())
            )
        if self.surveys:
            lines.append(
                "  surveys     "
                + ", ".join(
                    f"{stage} (median {self.responses(stage).median():.0f} responses)"
                    for stage in self.surveys
                )
            )
        if self.intervention_names:
            lines.append(f"  interventions {', '.join(self.intervention_names)}")
        if self.attribute_names:
            lines.append(f"  attributes  {', '.join(self.attribute_names)}")
        if len(self.gaps):
            lines.append(
                "  gaps        no rows in periods "
                + ", ".join(self.format_period(p) for p in self.gaps)
            )
        return "\n".join(lines)


def _unit_index(units: pd.Series) -> pd.Index:
    unique = pd.Index(pd.unique(units), name=units.name)
    try:
        return unique.sort_values()
    except TypeError:
        return unique


def _refuse_repeated_rows(
    df: pd.DataFrame, unit: str, grid: PeriodGrid, rows: np.ndarray, positions: np.ndarray
) -> None:
    keys = pd.DataFrame({"u": rows, "t": positions})
    repeated = keys.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    first = keys[repeated].iloc[0]
    clash = df.index[repeated & (rows == first["u"]) & (positions == first["t"])]
    hint = (
        " exlink works with monthly or quarterly periods: aggregate finer data first."
        if grid.frequency != "integer"
        else ""
    )
    raise ValueError(
        f"{int(repeated.sum())} rows repeat a ({unit}, period) pair: unit "
        f"{format_rows([df[unit].iloc[np.argmax(repeated)]])} in period "
        f"{grid.format(grid.labels[first['t']])} appears in rows {format_rows(clash)}. "
        f"Keep one row per unit and period.{hint}"
    )
