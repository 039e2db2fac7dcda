"""Malformed frames get a clear ValueError or TypeError naming what is wrong."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exlink import Panel
from frames import PANEL_ARGS, small_frame

STAGES = PANEL_ARGS["stages"]
COLUMNS = ["branch", "month", *STAGES, "coaching", "region", "culture"]


def corrupt_drop_column(frame, draw):
    column = draw(st.sampled_from(COLUMNS))
    return frame.drop(columns=column), column, ValueError


def corrupt_rename_column(frame, draw):
    column = draw(st.sampled_from(COLUMNS))
    typo = draw(st.sampled_from([column.upper(), column[:-1], column + "_", " " + column]))
    return frame.rename(columns={column: typo}), column, ValueError


def corrupt_duplicate_row(frame, draw):
    row = draw(st.integers(0, len(frame) - 1))
    doubled = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    return doubled, str(frame.loc[row, "branch"]), ValueError


def corrupt_text_in_stage(frame, draw):
    column = draw(st.sampled_from(STAGES))
    rows = draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=4, unique=True))
    junk = draw(st.sampled_from(["n/a", "", "-", "12,5", "?", "NaN!"]))
    frame[column] = frame[column].astype(object)
    frame.loc[rows, column] = junk
    return frame, column, TypeError


def corrupt_whole_stage_type(frame, draw):
    column = draw(st.sampled_from(STAGES))
    kind = draw(st.sampled_from(["str", "datetime", "category"]))
    if kind == "str":
        frame[column] = frame[column].astype(str)
    elif kind == "datetime":
        frame[column] = pd.Timestamp("2024-01-01")
    else:
        # Categorical text is refused; categorical numbers are accepted (issue 11).
        frame[column] = frame[column].round().astype(str).astype("category")
    return frame, column, TypeError


def corrupt_exposure(frame, draw):
    row = draw(st.integers(0, len(frame) - 1))
    value = draw(st.sampled_from([np.nan, -1.0, -1e-9, np.inf, "yes"]))
    frame["coaching"] = frame["coaching"].astype(object)
    frame.loc[row, "coaching"] = value
    return frame, "coaching", (ValueError, TypeError)


def corrupt_attribute(frame, draw):
    column = draw(st.sampled_from(["region", "culture"]))
    row = draw(st.integers(0, len(frame) - 1))
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = draw(st.sampled_from([np.nan, "odd", 99.0]))
    return frame, column, ValueError


def corrupt_period(frame, draw):
    row = draw(st.integers(0, len(frame) - 1))
    kind = draw(st.sampled_from(["missing", "fraction", "text"]))
    frame["month"] = frame["month"].astype(object)
    frame.loc[row, "month"] = {"missing": None, "fraction": 2.5, "text": "March"}[kind]
    return frame, "month", (ValueError, TypeError)


def corrupt_unit(frame, draw):
    rows = draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=3, unique=True))
    frame["branch"] = frame["branch"].astype(object)
    frame.loc[rows, "branch"] = None
    return frame, "branch", ValueError


def corrupt_shrink(frame, draw):
    keep_units = draw(st.integers(1, 2))
    units = frame["branch"].unique()[:keep_units]
    return frame[frame["branch"].isin(units)], "unit", ValueError


CORRUPTIONS = [
    corrupt_drop_column,
    corrupt_rename_column,
    corrupt_duplicate_row,
    corrupt_text_in_stage,
    corrupt_whole_stage_type,
    corrupt_exposure,
    corrupt_attribute,
    corrupt_period,
    corrupt_unit,
    corrupt_shrink,
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_malformed_frames_get_a_clear_error(data):
    frame = small_frame(
        n_units=data.draw(st.integers(3, 6)),
        n_periods=data.draw(st.integers(3, 7)),
        seed=data.draw(st.integers(0, 10_000)),
    )
    corrupt = data.draw(st.sampled_from(CORRUPTIONS))
    bad, name, error = corrupt(frame.copy(), data.draw)
    before = bad.copy(deep=True)
    try:
        Panel.from_frame(bad, **PANEL_ARGS)
    except (ValueError, TypeError) as err:
        assert isinstance(err, error), f"{corrupt.__name__}: {type(err).__name__}: {err}"
        assert type(err).__module__ == "builtins", f"raised {type(err)} from inside a library"
        assert name in str(err), f"{corrupt.__name__}: {name!r} not in {err}"
    else:
        raise AssertionError(f"{corrupt.__name__} was accepted")
    pd.testing.assert_frame_equal(bad, before)


@settings(max_examples=60, deadline=None)
@given(
    n_units=st.integers(3, 8),
    n_periods=st.integers(3, 8),
    seed=st.integers(0, 10_000),
    missing=st.floats(0, 0.5),
    shuffle=st.booleans(),
)
def test_valid_frames_round_trip(n_units, n_periods, seed, missing, shuffle):
    frame = small_frame(n_units, n_periods, seed)
    rng = np.random.default_rng(seed)
    frame.loc[rng.random(len(frame)) < missing, "nps"] = np.nan
    if frame["nps"].isna().all():
        frame.loc[0, "nps"] = 1.0
    given_frame = frame.sample(frac=1, random_state=seed) if shuffle else frame
    before = given_frame.copy(deep=True)
    panel = Panel.from_frame(given_frame, **PANEL_ARGS)
    pd.testing.assert_frame_equal(given_frame, before)
    assert panel.missing["nps"] == frame["nps"].isna().sum()
    back = panel.to_frame()
    pd.testing.assert_frame_equal(back, frame[back.columns], check_dtype=False)
