import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from exlink.datasets import make_service_chain
from exlink.spec import Chain, Intervention, Link, Stage
from exlink.transforms import (
    link_curve,
    link_curve_tensor,
    link_form,
    link_form_tensor,
    ramped_exposure,
    ramped_exposure_tensor,
    rising,
)


@pytest.mark.parametrize("form", ["linear", "saturating", "threshold"])
def test_link_form_twins_agree(form):
    x = np.linspace(-3, 5, 41)
    xs = pt.dvector("x")
    tensor = pytensor.function([xs], link_form_tensor(form, xs, 1.0, 2.0))(x)
    np.testing.assert_allclose(tensor, link_form(form, x, 1.0, 2.0))


def test_link_forms_have_unit_slope_at_reference():
    for form in ("linear", "saturating", "threshold"):
        h = 1e-6
        slope = (link_form(form, 2.0 + h, 2.0, 1.5) - link_form(form, 2.0 - h, 2.0, 1.5)) / (2 * h)
        expected = 0.5 if form == "threshold" else 1.0
        assert slope == pytest.approx(expected, rel=1e-5)


def test_saturating_gives_less_at_a_high_level_and_threshold_little_below():
    low = link_form("saturating", 1.0, 0.0, 1.0) - link_form("saturating", 0.0, 0.0, 1.0)
    high = link_form("saturating", 3.0, 0.0, 1.0) - link_form("saturating", 2.0, 0.0, 1.0)
    assert high < 0.1 * low
    below = link_form("threshold", -3.0, 0.0, 0.5) - link_form("threshold", -4.0, 0.0, 0.5)
    above = link_form("threshold", 4.0, 0.0, 0.5) - link_form("threshold", 3.0, 0.0, 0.5)
    assert below < 0.01 and above == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("form", ["linear", "saturating", "threshold"])
@pytest.mark.parametrize(("reference", "scale"), [(0.0, 1.0), (1.5, 0.4), (-2.0, 3.0)])
def test_a_model_curve_is_anchored_at_the_mean_with_average_slope_one(form, reference, scale):
    low, high = -1.3, 1.2
    at = link_curve(form, np.array([low, 0.0, high]), reference, scale, low, high)
    assert at[1] == 0.0
    assert (at[2] - at[0]) / (high - low) == pytest.approx(1.0, rel=1e-6)
    x = np.linspace(-3, 3, 13)
    xs = pt.dvector("x")
    tensor = pytensor.function([xs], link_curve_tensor(form, xs, reference, scale, low, high))(x)
    np.testing.assert_allclose(
        tensor, link_curve(form, x, reference, scale, low, high), rtol=1e-9, atol=1e-12
    )


def test_a_model_curve_keeps_the_shape_of_its_form():
    """Rescaling changes the slope, not the bend: the ratio of two rises is the form's."""
    x = np.array([-1.0, 0.0, 1.0])
    raw = np.diff(link_form("saturating", x, 0.3, 0.8))
    curve = np.diff(link_curve("saturating", x, 0.3, 0.8, -1.2, 1.2))
    assert curve[1] / curve[0] == pytest.approx(raw[1] / raw[0])


def test_a_curve_flat_across_the_data_stays_finite():
    """A bend far above the data leaves a saturating curve flat there (tanh rounds to -1)."""
    values = link_curve("saturating", np.linspace(-2, 2, 5), 40.0, 0.5, -1.3, 1.3)
    assert np.isfinite(values).all()


def test_unknown_form():
    with pytest.raises(ValueError, match="sigmoid"):
        link_form("sigmoid", 1.0)


def test_exposure_by_hand():
    np.testing.assert_allclose(
        ramped_exposure([0, 1, 1, 1, 0, 0], 0.5, 0.25), [0, 0.5, 0.75, 0.875, 0.65625, 0.4921875]
    )


@pytest.mark.parametrize("ramp, fade", [(0.3, None), (0.6, 0.1), (1.0, None)])
def test_exposure_twins_agree(ramp, fade):
    rng = np.random.default_rng(0)
    rollout = (rng.random((5, 12)) < 0.5).astype(float) * rng.choice([1.0, 2.0], size=(5, 1))
    r = pt.dscalar("ramp")
    f = r if fade is None else pt.dscalar("fade")
    inputs = [r] if fade is None else [r, f]
    fn = pytensor.function(
        inputs, ramped_exposure_tensor(pt.as_tensor(rollout), r, f, 12, rising(rollout))
    )
    values = fn(ramp) if fade is None else fn(ramp, fade)
    np.testing.assert_allclose(
        values, ramped_exposure(rollout, ramp, ramp if fade is None else fade)
    )


def test_exposure_twins_agree_on_shares_that_rise_and_fall():
    rollout = np.array(
        [
            [0, 0.3, 0.7, 1, 1, 0.5, 0.5, 0, 0, 0.4, 0.4, 0],
            [1, 1, 0, 0, 0, 0, 1, 1, 1, 0.2, 0.2, 0.9],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ]
    )
    r, f = pt.dscalar("ramp"), pt.dscalar("fade")
    fn = pytensor.function(
        [r, f], ramped_exposure_tensor(pt.as_tensor(rollout), r, f, 12, rising(rollout))
    )
    np.testing.assert_allclose(fn(0.35, 0.15), ramped_exposure(rollout, 0.35, 0.15))


def test_exposure_gradient_matches_finite_differences():
    rollout = np.array([[0, 1, 1, 1, 0, 0, 0, 0.5, 0.5, 0.0]])
    r, f = pt.dscalar("ramp"), pt.dscalar("fade")
    total = (ramped_exposure_tensor(pt.as_tensor(rollout), r, f, 10, rising(rollout)) ** 2).sum()
    grad = pytensor.function([r, f], pt.grad(total, [r, f]))
    h = 1e-6

    def value(ramp, fade):
        return (ramped_exposure(rollout, ramp, fade) ** 2).sum()

    expected = [
        (value(0.4 + h, 0.2) - value(0.4 - h, 0.2)) / (2 * h),
        (value(0.4, 0.2 + h) - value(0.4, 0.2 - h)) / (2 * h),
    ]
    np.testing.assert_allclose(grad(0.4, 0.2), expected, rtol=1e-5)


def test_exposure_tensor_needs_the_rising_pattern_for_a_separate_fade():
    r, f = pt.dscalar("ramp"), pt.dscalar("fade")
    with pytest.raises(ValueError, match="rising pattern"):
        ramped_exposure_tensor(pt.as_tensor(np.ones((2, 3))), r, f, 3)


def test_exposure_fades_after_a_fall_until_the_rollout_rises():
    # 1 -> 0.5 then held: the exposure falls towards 0.5 at the fade rate
    e = ramped_exposure([1, 1, 0.5, 0.5, 1], 0.5, 0.1)
    np.testing.assert_allclose(e[2], 0.75 + 0.1 * (0.5 - 0.75))
    np.testing.assert_allclose(e[3], e[2] + 0.1 * (0.5 - e[2]))
    np.testing.assert_allclose(e[4], e[3] + 0.5 * (1 - e[3]))


def test_model_mechanics_match_the_generator():
    """The generator's own implementation and exlink.transforms agree."""
    chain = Chain(
        [Stage("e", "ex"), Stage("c", "cx"), Stage("r", "customer")],
        [Link("e", "c", form="saturating"), Link("c", "r", form="threshold")],
        [Intervention("k", "e", lever="people", fade=True)],
    )
    truth = make_service_chain(
        n_units=5,
        n_periods=6,
        chain=chain,
        interventions={"k": {"ramp_rate": 0.4, "fade_rate": 0.2}},
    ).truth
    rollout = np.array([0, 1, 1, 1, 0, 0, 2, 2.0])
    np.testing.assert_allclose(truth.exposure("k", rollout), ramped_exposure(rollout, 0.4, 0.2))
    from exlink.datasets.truth import _form

    for lk in truth.links:
        x = np.linspace(40, 100, 13)
        np.testing.assert_allclose(_form(lk, x), link_form(lk.form, x, lk.reference, lk.scale))
