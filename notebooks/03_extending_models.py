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
# # Extending the model: a new link form, without editing exlink
#
# A link's *form* is the curve by which its source moves its target. exlink
# has `linear`, `saturating` (tanh) and `threshold` (softplus) built in. A
# researcher who believes, say, that engagement lifts NPS with diminishing
# returns that never quite stop, can register a new curve and name it in a
# chain like any built-in one.
#
# A form is a curve `g(u)` with slope about 1 at `u = 0`. A link of that form
# adds `beta * scale * g((x - reference) / scale)` to its target, with `beta`,
# `reference` and `scale` estimated for the link. The curve is given twice:
# for NumPy (the simulations of `exlink.simulation`) and for PyTensor (the
# model). `register_link_form` checks that the two agree.

# %%
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytensor.tensor as pt

import exlink as xl
from exlink.transforms import link_form

pd.set_option("display.width", 120)
pd.set_option("display.max_columns", 12)

xl.register_link_form(
    "softsign",
    numpy=lambda u: u / (1 + np.abs(u)),
    tensor=lambda u: u / (1 + pt.abs(u)),
    description="diminishing returns with heavy tails",
)

# %% [markdown]
# The new curve beside the built-in ones, each with reference 0 and scale 1:

# %%
x = np.linspace(-4, 4, 200)
fig, ax = plt.subplots(figsize=(6, 3.5))
for form in ("linear", "saturating", "threshold", "softsign"):
    ax.plot(x, link_form(form, x), label=form)
ax.set(xlabel="source - reference (in scales)", ylabel="contribution / beta")
ax.legend()

# %% [markdown]
# ## Use it in a chain
#
# Generated data whose engagement -> NPS link saturates (tanh). We fit the
# chain with the new form on that link. The curves differ in their tails, so
# the link's coefficient is not the generator's; what the two share is what a
# decision rests on, the effect of coaching on NPS over the range of the data.

# %%
sim = xl.datasets.make_service_chain(
    n_units=40,
    n_periods=18,
    seed=5,
    chain=xl.Chain.from_dict(
        sim_chain := {
            **xl.datasets.DEFAULT_CHAIN.to_dict(),
            "links": [
                {"source": "engagement", "target": "nps", "form": "saturating"},
                {"source": "nps", "target": "retention", "lag": 1},
                {"source": "retention", "target": "revenue", "lag": 1},
            ],
        }
    ),
)
custom = xl.Chain.from_dict(
    {**sim_chain, "links": [{**sim_chain["links"][0], "form": "softsign"}, *sim_chain["links"][1:]]}
)
print(custom)

# Every sampled quantity is held to R-hat <= 1.01 and ESS >= 400; 2000 draws per chain
# leave room for the largest of them.
model = xl.ChainModel(custom).fit(sim.panel(), draws=2000, random_seed=5, progressbar=False)
print(model.diagnostics().headline())
assert model.diagnostics().converged

print(model.effects()[["kind", "source", "target", "mean", "lower", "upper"]])
long_run = model.total_effects(horizon=24)["long_run"].sel(intervention="coaching", stage="nps")
low, high = long_run.quantile([0.05, 0.95], dim=("chain", "draw")).values
true = sim.truth.long_run_effect("coaching")["nps"]
print(f"coaching -> nps, long run: {float(long_run.mean()):.2f} [{low:.2f}, {high:.2f}]")
print(f"truth: {true:.2f}")
assert low < true < high

# %% [markdown]
# ## Everything downstream works with it
#
# Simulations use the NumPy twin of the curve: the total effect of coaching
# and the return of rolling it out further.

# %%
finance = xl.Finance(horizon=24, discount_rate=0.08, margin=0.35)
result = xl.simulate(
    model,
    [
        xl.Investment(
            "coaching_rollout", intervention="coaching", units="untreated", cost_upfront=1.0
        )
    ],
    finance,
    random_seed=1,
)
print(result.summary()[["npv_mean", "npv_p05", "npv_p95", "p_loss"]])

# %% [markdown]
# A saved model records its chain, forms included. Loading it in a new session
# needs the same `register_link_form` call first; without it, loading stops
# with a message naming the missing form.
