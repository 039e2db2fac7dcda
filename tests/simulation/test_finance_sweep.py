"""A sweep over finance scenarios equals simulating each scenario on its own."""

from __future__ import annotations

import pandas as pd
import pytest

import exlink as xl

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
INVESTMENTS = [
    xl.Investment("coaching_rollout", intervention="coaching", units="untreated", cost_upfront=3.0),
    xl.Investment("quick_win", lever="people", effect={"engagement": (0.5, 2.0)}, cost_upfront=1.0),
]
SCENARIOS = [xl.Finance(horizon=12, discount_rate=r, margin=0.3) for r in (0.04, 0.08, 0.12)]


def test_each_scenario_is_its_own_simulation(stored_model):
    model = stored_model("service_chain")
    table = xl.finance_sweep(
        model, INVESTMENTS, SCENARIOS, draws=100, random_seed=3, allow_unconverged=True
    )
    assert len(table) == len(SCENARIOS) * len(INVESTMENTS)
    # Only the discount rate varies, so only it is a column.
    assert list(table.columns[:3]) == ["scenario", "discount_rate", "investment"]
    for position, finance in enumerate(SCENARIOS):
        alone = xl.simulate(
            model, INVESTMENTS, finance, draws=100, random_seed=3, allow_unconverged=True
        ).summary()
        rows = table[table.scenario == position].set_index("investment")
        pd.testing.assert_series_equal(rows["npv_mean"], alone["npv_mean"], check_names=False)
    assert table["npv_mean"].nunique() == len(table)  # the rate changes every value


def test_a_sweep_needs_scenarios(stored_model):
    model = stored_model("service_chain")
    with pytest.raises(TypeError, match="non-empty list"):
        xl.finance_sweep(model, INVESTMENTS, [])
    with pytest.raises(TypeError, match="non-empty list"):
        xl.finance_sweep(model, INVESTMENTS, [{"horizon": 12}])
