"""Time-structure mistakes, unit labels and value types at Panel.from_frame (issue 11)."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import exlink as xl
from exlink.models.design import ChainDesign, carry_forward
from frames import PANEL_ARGS, small_frame


def build(frame, **overrides):
    return xl.Panel.from_frame(frame, **(PANEL_ARGS | overrides))


def refused(error, words, frame, **overrides):
    before = frame.copy()
    with pytest.raises(error) as info:
        build(frame, **overrides)
    for word in words:
        assert word in str(info.value), str(info.value)
    pd.testing.assert_frame_equal(frame, before)


def test_year_month_integers_across_a_year_end_are_explained():
    frame = small_frame(n_periods=6)
    frame["month"] = frame["month"].map({1: 202310, 2: 202311, 3: 202312, 4: 202401, 5: 202402})
    frame["month"] = frame["month"].fillna(202403).astype(int)
    refused(ValueError, ["'month'", "year-month", "phantom", "format='%Y%m'"], frame)


def test_integer_periods_a_fixed_step_apart_are_explained():
    frame = small_frame(n_periods=12)
    frame["month"] = frame["month"] * 50
    refused(ValueError, ["'month'", "multiple of 50", "consecutively"], frame)


def test_mostly_empty_integer_grids_are_refused():
    frame = small_frame(n_periods=4)
    frame["month"] = frame["month"].map({1: 1, 2: 2, 3: 3, 4: 40})
    refused(ValueError, ["'month'", "grid steps", "no row at all"], frame)


@pytest.mark.parametrize("year", [1, 1500, 2300])
def test_dates_outside_the_readable_years_are_refused(year):
    frame = small_frame()
    frame["month"] = [
        pd.Timestamp(2000, 1, 1).to_pydatetime().replace(year=year, month=int(m))
        for m in frame.month
    ]
    frame["month"] = frame["month"].astype("datetime64[s]")
    refused(ValueError, ["'month'", f"year {year}", "full dates"], frame)


def test_categorical_units_attributes_and_numeric_stage_values_are_accepted():
    plain = build(small_frame())
    frame = small_frame()
    frame["branch"] = frame["branch"].astype("category")
    frame["region"] = frame["region"].astype("category")
    frame["nps"] = frame["nps"].round().astype("category")
    panel = build(frame)
    assert list(panel.units) == list(plain.units)
    assert panel.stages.sel(stage="nps").values == pytest.approx(
        plain.stages.sel(stage="nps").values.round()
    )
    assert list(panel.attributes["region"]) == list(plain.attributes["region"])


def test_decimal_and_whole_float_values_are_accepted():
    frame = small_frame()
    frame["engagement"] = [Decimal(str(round(v, 3))) for v in frame["engagement"]]
    frame["branch"] = frame["branch"].map({"b0": 10.0, "b1": 11.0, "b2": 12.0, "b3": 13.0})
    panel = build(frame)
    assert list(panel.units) == [10, 11, 12, 13]
    assert panel.units.dtype == np.int64
    assert np.isfinite(panel.stages.sel(stage="engagement").values).all()


def test_carry_forward_matches_pandas_ffill_without_bottleneck():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(3, 7, 11))
    values[rng.random(values.shape) < 0.4] = np.nan
    expected = pd.DataFrame(values.reshape(-1, 11).T).ffill().fillna(0.0).T.to_numpy()
    assert carry_forward(values).reshape(-1, 11) == pytest.approx(expected)


def test_absent_rows_build_without_bottleneck():
    sim = xl.datasets.make_service_chain(n_units=8, n_periods=8, seed=2)
    frame = sim.data.drop(index=[3, 4, 20]).reset_index(drop=True)
    panel = xl.Panel.from_frame(
        frame,
        unit=sim.unit,
        period=sim.period,
        stages=list(sim.chain.stage_names),
        interventions=list(sim.chain.intervention_names),
    )
    assert not panel.is_balanced
    with pytest.warns(UserWarning, match="absent"):
        design = ChainDesign(sim.chain, panel)
    assert np.isfinite(design.rollouts).all()


def test_a_lag_as_long_as_the_panel_is_refused_at_build():
    frame = small_frame(n_periods=5)
    chain = xl.Chain.from_roles(
        {"ex": "engagement", "cx": "nps"}, links=["engagement -> nps (lag 3)"]
    )
    panel = build(frame)
    with pytest.raises(ValueError) as info:
        ChainDesign(chain, panel)
    for word in ("'engagement -> nps (lag 3)'", "lag of 3", "5", "Shorten the lag"):
        assert word in str(info.value)


@pytest.mark.parametrize("name", ["revenue/branch", "$x^$", "nps (lag 1)", "a -> b", "1st", "x\ny"])
def test_names_that_break_later_are_refused_where_they_enter(name):
    with pytest.raises(ValueError) as info:
        xl.Stage(name, "cx")
    assert "starts with a letter" in str(info.value)
    with pytest.raises(ValueError):
        xl.Investment(name, intervention="coaching")


@pytest.mark.parametrize(
    "name", ["nps", "time_effort", "eNPS 2024", "cost.to.serve", "zufriedenheit_ü"]
)
def test_readable_names_are_accepted(name):
    assert xl.Stage(name, "cx").name == name
