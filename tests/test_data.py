import numpy as np
import pandas as pd
import pytest

import exlink as xl
from exlink import Panel
from exlink.dims import INTERVENTION, PERIOD, STAGE, UNIT
from frames import PANEL_ARGS, small_frame


def build(frame, **overrides):
    return Panel.from_frame(frame, **(PANEL_ARGS | overrides))


def test_labelled_arrays(frame):
    panel = build(frame)
    assert panel.stages.dims == (STAGE, UNIT, PERIOD)
    assert panel.exposure.dims == (INTERVENTION, UNIT, PERIOD)
    assert panel.stages.shape == (2, 4, 5)
    assert list(panel.units) == ["b0", "b1", "b2", "b3"]
    assert list(panel.periods) == [1, 2, 3, 4, 5]
    value = frame.loc[(frame.branch == "b2") & (frame.month == 4), "nps"].item()
    assert panel.stages.sel(stage="nps", unit="b2", period=4).item() == value
    assert panel.attributes.loc["b1", "region"] == "south"
    assert panel.frequency == "integer"
    assert panel.is_balanced


def test_to_frame_round_trips(frame):
    panel = build(frame)
    back = panel.to_frame()
    pd.testing.assert_frame_equal(back, frame[back.columns], check_dtype=False)
    again = build(back)
    assert again.stages.equals(panel.stages)
    assert again.exposure.equals(panel.exposure)
    pd.testing.assert_frame_equal(again.attributes, panel.attributes)


def test_input_is_not_mutated(frame):
    before = frame.copy(deep=True)
    build(frame.iloc[::-1])
    pd.testing.assert_frame_equal(frame, before)


def test_missing_stage_values_are_counted_not_dropped(frame):
    frame.loc[[1, 7, 8], "nps"] = np.nan
    panel = build(frame)
    assert panel.missing.to_dict() == {"engagement": 0, "nps": 3}
    assert panel.observed.all()
    assert len(panel.to_frame()) == len(frame)
    assert "nps 3 (15.0%)" in repr(panel)
    assert panel.describe().loc["nps", "missing"] == 3


def test_unbalanced_panel_and_gaps_are_reported(frame):
    gappy = frame[(frame.month != 3) & ~((frame.branch == "b1") & (frame.month == 5))]
    panel = build(gappy)
    assert not panel.is_balanced
    assert list(panel.gaps) == [3]
    assert len(panel.absent_rows) == 5
    assert panel.n_periods == 5
    assert np.isnan(panel.stages.sel(unit="b1", period=5)).all()
    assert "unbalanced" in repr(panel) and "no rows in periods 3" in repr(panel)
    assert len(panel.to_frame()) == len(gappy)


@pytest.mark.parametrize(
    "freq, expected, labels",
    [
        ("MS", "month", ["2024-01", "2024-02"]),
        ("ME", "month", ["2024-01", "2024-02"]),
        ("QS", "quarter", ["2024Q1", "2024Q2"]),
        ("QE", "quarter", ["2024Q1", "2024Q2"]),
    ],
)
def test_dated_periods(frame, freq, expected, labels):
    dates = pd.date_range("2024-01-01", periods=5, freq=freq)
    frame["month"] = frame["month"].map(dict(zip(range(1, 6), dates, strict=True)))
    panel = build(frame)
    assert panel.frequency == expected
    assert [panel.format_period(p) for p in panel.periods[:2]] == labels
    assert panel.periods[0].day == 1


def test_pandas_periods(frame):
    frame["month"] = pd.PeriodIndex(pd.date_range("2024-01-01", periods=5, freq="MS"), freq="M")[
        frame["month"] - 1
    ]
    assert build(frame).frequency == "month"


def test_month_start_dates_round_trip(frame):
    frame["month"] = [pd.Timestamp(2023, 5 + t, 1) for t in small_frame()["month"]]
    back = build(frame).to_frame()
    pd.testing.assert_frame_equal(back, frame[back.columns], check_dtype=False)


def test_lag_shifts_along_period(frame):
    panel = build(frame)
    lagged = panel.lag("engagement", 2)
    assert np.isnan(lagged.sel(period=[1, 2])).all()
    assert (
        lagged.sel(unit="b3", period=5).item()
        == panel.stage("engagement").sel(unit="b3", period=3).item()
    )
    with pytest.raises(ValueError, match="lag"):
        panel.lag("engagement", -1)
    with pytest.raises(KeyError, match="Did you mean 'engagement'"):
        panel.lag("engagment", 1)


def test_rollout_table(frame):
    frame["coaching"] = 0.0
    frame.loc[(frame.branch == "b0") & (frame.month >= 2), "coaching"] = 1.0
    frame.loc[(frame.branch == "b1") & (frame.month >= 4), "coaching"] = 2.5
    row = build(frame).rollout().loc["coaching"]
    assert row.units_treated == 2
    assert row.waves == 2
    assert row.first_period == 2 and row.last_period == 5
    assert row.kind == "intensity"


def test_describe_and_repr(frame):
    panel = build(frame)
    table = panel.describe()
    assert list(table.index) == ["engagement", "nps", "coaching"]
    assert table.loc["engagement", "mean"] == pytest.approx(frame["engagement"].mean())
    assert table.loc["coaching", "kind"] == "intervention"
    text = repr(panel)
    assert "4 units (branch) x 5 periods" in text and "balanced" in text


def test_to_xarray_holds_everything(frame):
    dataset = build(frame).to_xarray()
    assert set(dataset.data_vars) == {"stages", "exposure", "observed", "survey_data"}
    assert dataset["survey_data"].sizes["survey_column"] == 0
    assert dataset["culture"].dims == (UNIT,)


def test_nullable_and_bool_columns_are_numeric(frame):
    frame["nps"] = frame["nps"].round().astype("Int64")
    frame.loc[3, "nps"] = pd.NA
    frame["coaching"] = frame["coaching"].astype(bool)
    panel = build(frame)
    assert panel.missing["nps"] == 1
    assert panel.exposure.max().item() == 1.0


def test_mixed_unit_labels_are_refused(frame):
    # Mixed labels cannot be saved and read back as the same labels: refuse them by name.
    frame["branch"] = frame["branch"].map({"b0": 1, "b1": "x", "b2": 2, "b3": "y"}).astype(object)
    expect(TypeError, ["'branch'", "mixes text and numbers", "astype(str)"], frame)
    frame["branch"] = frame["branch"].map({1: 1, "x": "x", 2: 2.5, "y": "y"})
    expect(TypeError, ["'branch'", "float", "text or whole numbers"], frame)


# -- errors -----------------------------------------------------------------------------------


def expect(error, words, frame, **overrides):
    with pytest.raises(error) as info:
        build(frame, **overrides)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_misspelt_column_suggests_the_closest(frame):
    expect(ValueError, ["'NPS'", "did you mean 'nps'"], frame, stages=["engagement", "NPS"])
    expect(ValueError, ["'regoin'", "did you mean 'region'"], frame, attributes=["regoin"])


def test_repeated_rows_are_named(frame):
    doubled = pd.concat([frame, frame.iloc[[6]]], ignore_index=True)
    expect(ValueError, ["'b1'", "period 2", "rows 6, 20", "one row per unit"], doubled)


def test_two_dates_in_one_month_are_repeated_rows(frame):
    frame["month"] = pd.Timestamp("2024-01-01") + pd.to_timedelta((frame["month"] - 1) * 31, "D")
    frame.loc[1, "month"] = pd.Timestamp("2024-01-20")
    expect(ValueError, ["period 2024-01", "aggregate"], frame)


def test_non_numeric_stage_names_column_and_rows(frame):
    frame["nps"] = frame["nps"].astype(object)
    frame.loc[[3, 9], "nps"] = "n/a"
    expect(TypeError, ["'nps'", "'n/a'", "rows 3, 9", "pd.to_numeric"], frame)


def test_text_stage_column(frame):
    frame["nps"] = frame["nps"].astype(str)
    expect(TypeError, ["'nps'", "numeric"], frame)


def test_infinite_stage(frame):
    frame.loc[4, "engagement"] = np.inf
    expect(ValueError, ["'engagement'", "infinite", "rows 4"], frame)


def test_missing_or_negative_exposure(frame):
    frame.loc[2, "coaching"] = np.nan
    expect(ValueError, ["'coaching'", "missing", "rows 2", "record 0"], frame)
    frame.loc[2, "coaching"] = -0.5
    expect(ValueError, ["'coaching'", "negative", "rows 2"], frame)


def test_attribute_varying_within_a_unit(frame):
    frame.loc[6, "region"] = "east"
    expect(ValueError, ["'region'", "'b1'", "'east'", "constant"], frame)


def test_attribute_missing(frame):
    frame.loc[11, "culture"] = np.nan
    expect(ValueError, ["'culture'", "'b2'"], frame)


def test_too_few_units_or_periods(frame):
    expect(ValueError, ["2 unit(s)", "at least 3 units"], frame[frame.branch.isin(["b0", "b1"])])
    expect(ValueError, ["2 period(s)"], frame[frame.month <= 2])


def test_missing_unit_or_period(frame):
    frame.loc[5, "branch"] = None
    expect(ValueError, ["'branch'", "rows 5"], frame)
    frame = small_frame()
    frame["month"] = frame["month"].astype(float)
    frame.loc[7, "month"] = np.nan
    expect(ValueError, ["'month'", "rows 7"], frame)


def test_text_and_fractional_periods(frame):
    expect(TypeError, ["'month'", "pd.to_datetime"], frame.assign(month=frame["month"].astype(str)))
    expect(TypeError, ["'month'", "whole numbers"], frame.assign(month=frame["month"] + 0.5))


def test_irregular_dated_periods(frame):
    frame["month"] = [
        pd.Timestamp(2024, 1, 1) + pd.DateOffset(months=2 * (t - 1)) for t in small_frame()["month"]
    ]
    expect(ValueError, ["'month'", "2 months apart", "monthly or quarterly"], frame)


def test_sparse_integer_periods(frame):
    frame["month"] = frame["month"] ** 6
    expect(ValueError, ["'month'", "consecutively"], frame)


def test_column_in_two_roles(frame):
    expect(ValueError, ["'nps'", "both stages and attributes"], frame, attributes=["nps"])
    expect(ValueError, ["'nps'", "twice"], frame, stages=["nps", "nps"])


def test_argument_types(frame):
    with pytest.raises(TypeError, match="DataFrame"):
        Panel.from_frame(frame.to_dict(), **PANEL_ARGS)
    expect(TypeError, ["stages", "3"], frame, stages=["nps", 3])
    expect(ValueError, ["stages", "at least one"], frame, stages=[])
    expect(TypeError, ["unit", "one column"], frame, unit=["branch", "month"])


def test_repeated_column_labels(frame):
    frame.columns = [*frame.columns[:-1], "region"]
    expect(ValueError, ["'region'", "more than one column"], frame, attributes=["region"])


def test_all_missing_stage(frame):
    frame["nps"] = np.nan
    expect(ValueError, ["'nps'", "no values"], frame)


def test_empty_frame(frame):
    expect(ValueError, ["no rows"], frame.iloc[:0])


def test_split_gives_one_panel_per_attribute_value():
    sim = xl.datasets.make_service_chain(n_units=20, n_periods=6, seed=1)
    panel = sim.panel()
    parts = panel.split("region")
    assert sum(p.n_units for p in parts.values()) == panel.n_units
    for region, part in parts.items():
        assert (part.attributes["region"] == region).all()
        assert part.n_periods == panel.n_periods
        unit = part.units[0]
        assert part.stages.sel(unit=unit).equals(panel.stages.sel(unit=unit))
    with pytest.raises(ValueError, match=r"'regoin'.*'region'"):
        panel.split("regoin")
    with pytest.raises(ValueError, match="at least 3"):
        xl.datasets.make_service_chain(n_units=16, n_periods=6, seed=1).panel().split("region")
