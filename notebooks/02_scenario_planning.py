# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scenario planning: a finance team's questions
#
# A fitted model answers "what is it worth?" under assumptions. A finance team
# asks what happens when the assumptions move:
#
# - What if the margin is lower than planned?
# - What if the budget is cut?
# - What if the effect fades once the programme stops?
#
# Each answer keeps the model's uncertainty: every number below is a
# distribution over posterior draws, summarised by its mean and 5%-95% range.
#
# A small generated panel keeps this notebook quick; with a saved model of
# real data, start from `xl.ChainModel.load("model.nc")`.

# %%
import dataclasses
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd

import exlink as xl
from exlink import plotting
from exlink.simulation import npv_sensitivity
from exlink.simulation.scenario import read_scenario, run_scenario

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

sim = xl.datasets.make_service_chain(n_units=40, n_periods=18, seed=4)
model = xl.ChainModel(sim.chain).fit(sim.panel(), random_seed=4, progressbar=False)
print(model.diagnostics().headline())
assert model.diagnostics().converged

# %% [markdown]
# ## The plan under the base assumptions

# %%
investments = [
    xl.Investment(
        "coaching_rollout",
        intervention="coaching",
        units="untreated",
        cost_upfront=1.0,
        cost_per_period=0.05,
    ),
    xl.Investment(
        "scheduling_pilot_end",
        intervention="scheduling_tool",
        units="untreated",
        duration=6,
        cost_upfront=0.5,
        cost_per_period=0.1,
    ),
    xl.Investment(
        "recognition_app",
        lever="technology",
        effect={"engagement": (1.0, 4.0)},
        units="all",
        cost_upfront=1.0,
        cost_per_period=0.05,
    ),
]
base = xl.Finance(horizon=24, discount_rate=0.08, margin=0.35)
result = xl.simulate(model, investments, base, random_seed=1)
columns = ["npv_mean", "npv_p05", "npv_p95", "p_loss", "cost"]
print(result.summary()[columns])
budget = float(result.summary()["cost"].sum())
print(xl.prioritise(result, budget=budget))

# %% [markdown]
# ## What if the margin is lower?
#
# The margin turns revenue into profit; it scales the benefit, not the cost.

# %%
rows = []
for margin in (0.35, 0.25, 0.15):
    finance = dataclasses.replace(base, margin=margin)
    summary = xl.simulate(model, investments, finance, random_seed=1).summary()
    rows.append(summary[["npv_mean", "p_loss"]].assign(margin=margin).reset_index())
by_margin = pd.concat(rows).pivot(index="investment", columns="margin", values="npv_mean")
print(by_margin)
assert (by_margin[0.15] <= by_margin[0.35]).all()

# %% [markdown]
# ## What if the budget is cut?
#
# The efficient frontier gives the best plan at each budget, with its risk.

# %%
frontier = xl.efficient_frontier(result, [budget * f for f in (0.25, 0.5, 0.75, 1.0)])
print(frontier)
fig = plotting.frontier(frontier)
assert frontier["expected_npv"].is_monotonic_increasing

# %% [markdown]
# ## What if the effect fades?
#
# `scheduling_pilot_end` runs for six months. By default its effect fades at
# the intervention's fitted rate once it stops; `reinforced=True` assumes the
# organisation keeps it alive. The tornado chart shows how far each
# assumption moves the expected NPV.

# %%
pilot = investments[1]
kept = dataclasses.replace(pilot, name="scheduling_reinforced", reinforced=True)
both = xl.simulate(model, [pilot, kept], base, random_seed=1).summary()
print(both[columns])
assert both.loc["scheduling_reinforced", "npv_mean"] >= both.loc["scheduling_pilot_end", "npv_mean"]
swings = npv_sensitivity(model, pilot, base, draws=200)
print(swings)
fig = plotting.tornado(swings, pilot.name)

# %% [markdown]
# ## The same questions from a scenario file
#
# Finance teams can keep each scenario in a YAML file and run it with
# `exlink simulate --scenario plan.yaml` on a saved model. The same runs from
# Python:

# %%
folder = Path(tempfile.mkdtemp())
model.save(folder / "model.nc")
(folder / "plan.yaml").write_text(
    """
model: model.nc
budget: 60
objective: cvar
finance: {horizon: 24, discount_rate: 0.08, margin: 0.35}
investments:
  - {name: coaching_rollout, intervention: coaching, units: untreated,
     cost_upfront: 1.0, cost_per_period: 0.05}
  - {name: recognition_app, lever: technology, effect: {engagement: [1.0, 4.0]},
     cost_upfront: 1.0, cost_per_period: 0.05}
"""
)
scenario = read_scenario(folder / "plan.yaml")
run = run_scenario(scenario, xl.ChainModel.load(scenario.model))
print(run.plan)
