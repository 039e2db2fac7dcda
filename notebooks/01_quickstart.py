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
# # Quickstart: from data to effects to ROI to a plan
#
# This notebook walks the whole job on a small generated panel with known
# truth, so that every estimate can be checked against what made the data:
#
# 1. a panel of units over periods, and the chain that links its stages;
# 2. a fitted `ChainModel`, its health and its effects;
# 3. the simulated return of candidate investments;
# 4. the plan that a budget buys.
#
# It is stored as a plain Python file in the percent format; open it as a
# notebook with `jupytext --to ipynb 01_quickstart.py` or run it with
# `python 01_quickstart.py`.

# %%
import matplotlib

matplotlib.use("Agg")

import pandas as pd

import exlink as xl
from exlink import plotting

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

# %% [markdown]
# ## The data and the chain
#
# `make_service_chain` generates a panel from a known chain: coaching lifts
# engagement, engagement lifts NPS, NPS lifts retention a month later, and
# retention lifts revenue. Real data comes in through `xl.Panel.from_frame`.

# %%
sim = xl.datasets.make_service_chain(n_units=40, n_periods=18, seed=4)
panel = sim.panel()
print(panel)
print(sim.chain)

# %% [markdown]
# ## Fit, then check the model's health before anything else
#
# Four chains of 1000 draws are plenty for a chain this size. `diagnostics()`
# gives the verdict: no decision should rest on a model that has not converged.

# %%
model = xl.ChainModel(sim.chain).fit(panel, random_seed=4, progressbar=False)
health = model.diagnostics()
print(health.headline())
assert health.converged, health.headline()

# %% [markdown]
# ## The effects, against the truth
#
# Each link's coefficient is in the stages' own units: points of NPS per point
# of engagement, and so on. Because the data were generated, we can check that
# the truth lies in each 90% interval.

# %%
effects = model.effects()
truth = sim.truth.coefficients()
print(effects[["kind", "source", "target", "lag", "mean", "lower", "upper"]])
compared = effects.merge(truth, on=["kind", "source", "target", "lag"])
compared["inside"] = compared["value"].between(compared["lower"], compared["upper"])
print(compared[["kind", "source", "target", "mean", "lower", "upper", "value", "inside"]])
print(f"{compared['inside'].sum()} of {len(compared)} true effects lie in their 90% interval")

fig = plotting.chain_diagram(model.chain, effects)
fig = plotting.effects_forest(effects)

# %% [markdown]
# ## What would an investment return?
#
# A historical intervention rolled out to the units it has not reached, and a
# new one whose effect is elicited as a 90% range. `simulate` carries every
# posterior draw through the chain into money.

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
        "recognition_app",
        lever="technology",
        effect={"engagement": (1.0, 4.0)},
        units="all",
        cost_upfront=1.0,
        cost_per_period=0.1,
    ),
]
finance = xl.Finance(horizon=24, discount_rate=0.08, margin=0.35)
result = xl.simulate(model, investments, finance, random_seed=1)
summary = result.summary()
print(summary[["npv_mean", "npv_p05", "npv_p95", "p_loss", "roi", "payback"]])
fig = plotting.npv_ranking(result)

# %% [markdown]
# ## What a budget buys
#
# `prioritise` picks the best set of investments under a budget; the efficient
# frontier shows how value and risk change as the budget does.

# %%
budget = float(summary["cost"].max())
plan = xl.prioritise(result, budget=budget)
print(plan)
frontier = xl.efficient_frontier(result, [budget * f for f in (0.25, 0.5, 1.0, 2.0)])
print(frontier)
fig = plotting.frontier(frontier)
assert set(plan.selected) <= set(result.names)
