"""Rollout structure, placebo rollouts and the threats the generator builds in."""

import numpy as np
import pytest

import exlink as xl
from exlink.datasets import make_service_chain
from exlink.datasets.threats import PRETREND_PERIODS, pretrend_drift
from exlink.datasets.truth import ChainTruth
from exlink.rollouts import (
    borrowed_rollout,
    early_rollout,
    relative_periods,
    rollout_variation,
    start_periods,
)

STAGGERED = np.array(
    [
        [0, 0, 1, 1, 1, 1],
        [0, 0, 0, 0, 1, 1],
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
    ],
    dtype=float,
)


def test_start_and_relative_periods():
    assert start_periods(STAGGERED).tolist() == [2, 4, -1, -1]
    relative = relative_periods(STAGGERED)
    assert relative[0].tolist() == [-2, -1, 0, 1, 2, 3]
    assert np.isnan(relative[2]).all()


@pytest.mark.parametrize(
    ("rollout", "identified", "words"),
    [
        (STAGGERED, True, "fewer"),
        (np.zeros((4, 6)), False, "never rolled out"),
        (np.tile([0, 0, 1, 1, 1, 1.0], (4, 1)), False, "same period"),
        (np.array([[0, 1, 1], [0, 0, 1], [0, 1, 1], [0, 0, 1], [0, 1, 1.0]]), True, "timing"),
        (np.vstack([np.tile([0, 1, 1.0], (6, 1)), np.zeros((3, 3))]), True, "no staggered"),
    ],
)
def test_rollout_variation_names_what_is_missing(rollout, identified, words):
    row = rollout_variation(("k",), rollout[None]).iloc[0]
    assert bool(row["identified"]) is identified
    if words == "fewer":
        assert "only 2 unit(s)" in row["warning"]
    else:
        assert words in row["warning"]


def test_staggered_rollout_with_controls_has_no_warning():
    rollout = np.zeros((10, 8))
    for u in range(6):
        rollout[u, 2 + u % 3 :] = 1.0
    row = rollout_variation(("k",), rollout[None]).iloc[0]
    assert row["warning"] == "" and row["treated_units"] == 6 and row["start_periods"] == 3


def test_placebo_rollouts():
    early = early_rollout(STAGGERED, 2)
    assert early[0].tolist() == [1, 1, 0, 0, 0, 0]
    assert early[1].tolist() == [0, 0, 1, 1, 0, 0]
    assert not early[2:].any()
    with pytest.raises(ValueError, match="shift"):
        early_rollout(STAGGERED, 0)
    space = borrowed_rollout(STAGGERED, seed=3)
    assert not space[:2].any(), "the treated units get no placebo"
    given = sorted(tuple(row) for row in space[2:])
    assert given == sorted(tuple(row) for row in STAGGERED[:2])
    with pytest.raises(ValueError, match="never-treated"):
        borrowed_rollout(STAGGERED[:2])


def test_pretrend_drift_builds_up_before_the_start_and_stays():
    drift = pretrend_drift(STAGGERED, 3.0, periods=2)
    assert drift[0].tolist() == [0.0, 1.5, 3.0, 3.0, 3.0, 3.0]
    assert drift[1].tolist() == [0.0, 0.0, 0.0, 1.5, 3.0, 3.0]
    assert not drift[2:].any()


def test_pretrend_lifts_treated_units_before_their_start():
    clean = make_service_chain(n_units=30, n_periods=16, seed=2)
    trended = make_service_chain(
        n_units=30, n_periods=16, seed=2, pretrend={"coaching": {"engagement": 5.0}}
    )
    rollout = clean.data.pivot(index="unit", columns="period", values="coaching").to_numpy()
    before = relative_periods(rollout)
    just_before = (before >= -2) & (before < 0)
    diff = trended.data.pivot(index="unit", columns="period", values="engagement").to_numpy() - (
        clean.data.pivot(index="unit", columns="period", values="engagement").to_numpy()
    )
    assert just_before.any()
    assert diff[just_before].min() > 5.0 * (PRETREND_PERIODS - 2) / PRETREND_PERIODS - 1e-9
    assert np.allclose(diff[np.isnan(before)], 0.0)
    assert trended.truth.threats == {"pretrend": {"coaching": {"engagement": 5.0}}}


def test_confounder_moves_both_stages_and_feedback_joins_the_truth():
    sim = make_service_chain(
        n_units=30,
        n_periods=16,
        seed=2,
        links={"engagement -> nps": 0.0},
        confounder={"loadings": {"engagement": 3.0, "nps": 4.0}, "persistence": 0.8},
        feedback={"nps -> engagement (lag 1)": 0.3},
    )
    within = sim.data.groupby("unit")[["engagement", "nps"]].transform(lambda c: c - c.mean())
    assert within.corr().loc["engagement", "nps"] > 0.2
    (feedback,) = sim.truth.feedback
    assert (feedback.source, feedback.target, feedback.lag, feedback.coef) == (
        "nps",
        "engagement",
        1,
        0.3,
    )
    again = ChainTruth.from_json(sim.truth.to_json())
    assert again.feedback == sim.truth.feedback and again.threats == sim.truth.threats
    # With feedback, the true effect of a CX intervention reaches engagement a period later.
    effect = sim.truth.long_run_effect("complaint_redesign")
    assert effect["engagement"] == pytest.approx(0.3 * effect["nps"])


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"pretrend": {"nothing": {"nps": 1.0}}}, "nothing"),
        ({"pretrend": {"coaching": {"mood": 1.0}}}, "mood"),
        ({"confounder": {"loadings": {}}}, "needs loadings"),
        ({"confounder": {"loadings": {"mood": 1.0}}}, "mood"),
        ({"confounder": {"loadings": {"nps": 1.0}, "persistence": 1.0}}, "persistence"),
        ({"confounder": {"loadings": {"nps": 1.0}, "speed": 1}}, "speed"),
        ({"feedback": {"nps -> engagement": 0.3}}, "lag of at least 1"),
        ({"feedback": {"nps -> mood (lag 1)": 0.3}}, "mood"),
    ],
)
def test_threats_refuse_bad_settings(kwargs, words):
    with pytest.raises(ValueError, match=words):
        make_service_chain(n_units=10, n_periods=8, seed=1, **kwargs)


def test_threat_free_data_are_unchanged_by_the_new_options():
    plain = make_service_chain(n_units=12, n_periods=10, seed=5)
    explicit = make_service_chain(
        n_units=12, n_periods=10, seed=5, pretrend=None, confounder=None, feedback=None
    )
    assert plain.data.equals(explicit.data)
    assert plain.truth.threats == {} and plain.truth.feedback == ()
    assert isinstance(xl.datasets.load_retail_bank().truth.feedback, tuple)
