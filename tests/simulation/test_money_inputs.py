"""Money inputs: numbers of every kind accepted, absurd ones refused, nothing summed away."""

import dataclasses
from decimal import Decimal

import numpy as np
import pytest
from posteriors import true_posterior

import exlink as xl

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


def test_numpy_and_decimal_numbers_are_accepted():
    inv = xl.Investment(
        "a",
        intervention="coaching",
        start=np.int64(2),
        duration=np.int32(5),
        level=np.float32(0.5),
        cost_upfront=Decimal("100.5"),
        cost_per_period=np.float64(3),
        units=np.array(["U001", "U002"]),
    )
    assert (inv.start, inv.duration, inv.cost_upfront) == (2, 5, 100.5)
    assert isinstance(inv.start, int)
    assert inv.units == ("U001", "U002")
    fin = xl.Finance(horizon=np.int64(12), discount_rate=Decimal("0.05"), margin=np.float64(0.3))
    assert (fin.horizon, fin.discount_rate, fin.margin) == (12, 0.05, 0.3)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: xl.Investment("a", effect={"nps": (0, float("inf"))}), ["effect['nps'] high"]),
        (lambda: xl.Investment("a", effect={"nps": (float("-inf"), 1)}), ["finite"]),
        (lambda: xl.Investment("a", effect={"nps": (0, 1e308)}), ["beyond", "units"]),
        (lambda: xl.Investment("a", effect={"nps": (float("nan"), 1)}), ["finite"]),
        (lambda: xl.Investment("a", intervention="x", cost_upfront=float("inf")), ["cost_upfront"]),
        (lambda: xl.Investment("a", intervention="x", cost_fixed=-1), ["cost_fixed", ">= 0"]),
        (lambda: xl.Investment("a", intervention="x", level=float("inf")), ["level", "finite"]),
        (lambda: xl.Investment("a", intervention="x", start=1.5), ["start", "whole"]),
        (lambda: xl.Investment("a", intervention="x", units="@os.system('id')"), ["units"]),
        (lambda: xl.Finance(horizon=12, discount_rate=float("inf")), ["discount_rate", "finite"]),
        (lambda: xl.Finance(horizon=12, money_per_stage_unit=float("inf")), ["money_per"]),
        (lambda: xl.Finance(horizon=12, currency=5), ["currency", "quote"]),
        (lambda: xl.Finance(horizon=0), ["horizon", ">= 1"]),
        (lambda: xl.Finance(horizon=True), ["horizon", "number"]),
    ],
)
def test_non_finite_and_absurd_values_are_refused_by_name(make, words):
    with pytest.raises((TypeError, ValueError)) as info:
        make()
    for word in words:
        assert word in str(info.value), str(info.value)


def test_a_discount_rate_written_as_a_percentage_warns():
    with pytest.warns(UserWarning, match=r"discount_rate 8 .* written 0.08"):
        xl.Finance(horizon=12, discount_rate=8)


def _growth_model(sim, change):
    data = sim.data.assign(revenue_last=400.0)
    change(data)
    attributes = (*sim.attributes, "revenue_last")
    return true_posterior(dataclasses.replace(sim, data=data, attributes=attributes))


GROWTH = {"horizon": 6, "revenue_kind": "growth", "discount_rate": 0.0}


def test_growth_from_a_unit_whose_recent_growth_is_missing_is_not_lost(sim):
    """The unit's status quo is its last observed growth; its money is neither NaN nor lost."""
    last = sim.data["period"].max()
    gap = (sim.data["unit"] == "U002") & (sim.data["period"] > last - 3)

    def blank(data):
        data.loc[gap, "revenue"] = np.nan

    model = _growth_model(sim, blank)
    fin = xl.Finance(**GROWTH, revenue_base="revenue_last")
    inv = xl.Investment("all", intervention="coaching", units=["U001", "U002"])
    result = xl.simulate(model, [inv], fin)
    by_unit = result.by_unit().set_index("unit")["npv_mean"]
    assert np.isfinite(by_unit).all() and (by_unit != 0).all()
    assert float(result.npv().mean()) == pytest.approx(by_unit.sum(), rel=1e-9)


# A unit with no values of a stage fits without a numpy warning about an empty mean.
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_growth_without_a_status_quo_or_a_base_is_refused_by_unit(sim):
    def blank(data):
        data.loc[data["unit"] == "U003", "revenue"] = np.nan
        data.loc[data["unit"] == "U004", "retention"] = np.nan

    model = _growth_model(sim, blank)
    for unit, base, words in (
        ("U003", "revenue_last", ["status quo", "'revenue'"]),
        ("U004", "retention", ["revenue_base", "'retention'"]),
    ):
        fin = xl.Finance(**GROWTH, revenue_base=base)
        with pytest.raises(ValueError) as info:
            xl.simulate(model, [xl.Investment("a", intervention="coaching", units=[unit])], fin)
        for word in (f"'{unit}'", "drop the unit", *words):
            assert word in str(info.value), str(info.value)
        # Units that are not invested in do not matter.
        xl.simulate(model, [xl.Investment("a", intervention="coaching", units=["U001"])], fin)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({**GROWTH}, ["revenue_kind='growth' needs revenue_base", "attribute"]),
        ({"horizon": 6, "revenue_base": 100.0}, ["revenue_kind='growth' only"]),
        ({**GROWTH, "revenue_base": 100.0, "growth_rate": "monthly"}, ["'period'", "'annual'"]),
        ({**GROWTH, "revenue_base": -1.0}, ["revenue_base", ">= 0"]),
    ],
)
def test_growth_settings_are_checked(settings, words):
    with pytest.raises(ValueError) as info:
        xl.Finance(**settings)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_revenue_base_names_an_attribute_or_a_stage(sim):
    model = _growth_model(sim, lambda data: None)
    inv = [xl.Investment("a", intervention="coaching", units=["U001"])]
    with pytest.raises(ValueError, match="unknown unit attribute or stage 'revenue_lst'"):
        xl.simulate(model, inv, xl.Finance(**GROWTH, revenue_base="revenue_lst"))
    by_attribute = xl.simulate(model, inv, xl.Finance(**GROWTH, revenue_base="revenue_last"))
    by_number = xl.simulate(model, inv, xl.Finance(**GROWTH, revenue_base=400.0))
    np.testing.assert_allclose(by_attribute.npv().values, by_number.npv().values)
    # A stage's recent level (here any stage, to check the arithmetic): each unit's mean
    # of its last six periods.
    by_stage = xl.simulate(model, inv, xl.Finance(**GROWTH, revenue_base="retention"))
    level = sim.data.loc[sim.data["unit"] == "U001", "retention"].to_numpy()[-6:].mean()
    np.testing.assert_allclose(by_stage.npv().values, by_number.npv().values * level / 400.0)
