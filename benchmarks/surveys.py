"""Survey stages: recovery with and without the sampling error, and what it costs.

The chain :data:`exlink.datasets.SURVEY_CHAIN` (programme -> engagement ->
customer impression -> revenue growth) is generated with
:data:`exlink.datasets.SURVEY_CHAIN_TRUTH`: engagement and customer impression
are means of about 22 and 35 responses. Each panel is fitted twice with the
defaults (4 chains x 1000 draws): once ignoring the sampling error (the survey
columns left out) and once with the surveys declared. For each fit it prints
the links' and the programme's estimates beside the truth, whether the 90%
interval holds the truth, the relative error, convergence and seconds
(compilation included).

Run from the repository root::

    .venv/bin/python benchmarks/surveys.py                       # 100 x 24, seeds 1-3
    .venv/bin/python benchmarks/surveys.py --units 200 --periods 36 --seeds 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import exlink as xl

sys.path.insert(0, str(Path(__file__).parent))
from convergence import fit_and_judge


def survey_data(n_units: int, n_periods: int, seed: int) -> xl.datasets.ServiceChainData:
    """The survey chain with its default truth."""
    return xl.datasets.make_service_chain(
        n_units,
        n_periods,
        seed=seed,
        chain=xl.datasets.SURVEY_CHAIN,
        **xl.datasets.SURVEY_CHAIN_TRUTH,
    )


def without_surveys(data: xl.datasets.ServiceChainData) -> xl.Panel:
    """The same panel with the survey means taken as the true stages."""
    return xl.Panel.from_frame(
        data.data,
        unit=data.unit,
        period=data.period,
        stages=list(data.chain.stage_names),
        interventions=list(data.chain.intervention_names),
    )


def judge(model: xl.ChainModel, data: xl.datasets.ServiceChainData) -> pd.DataFrame:
    """Each link, the programme's effect and its long-run effect on growth against the truth."""
    effects = model.effects()
    truth = {lk.label: lk.coef for lk in data.truth.links}
    rows = []
    for row in effects.itertuples():
        label = f"{row.source} -> {row.target}" + (f" (lag {row.lag})" if row.lag else "")
        if label in truth:
            value = truth[label]
        else:
            value = data.truth.long_run_effect(row.source)[row.target]
        rows.append((label, value, row.mean, row.lower, row.upper))
    total = model.total_effects().long_run.sel(intervention="programme", stage="growth")
    draws = total.values.ravel()
    lower, upper = np.quantile(draws, [0.05, 0.95])
    value = data.truth.long_run_effect("programme")["growth"]
    rows.append(("programme => growth (total)", value, draws.mean(), lower, upper))
    table = pd.DataFrame(rows, columns=["effect", "truth", "mean", "lower", "upper"])
    table["inside_90"] = (table["lower"] <= table["truth"]) & (table["truth"] <= table["upper"])
    table["error"] = table["mean"] / table["truth"] - 1
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    for seed in args.seeds:
        data = survey_data(args.units, args.periods, seed)
        for label, panel in (
            ("ignoring sampling error", without_surveys(data)),
            ("surveys", data.panel()),
        ):
            model, health = fit_and_judge(data.chain, panel, seed)
            print(
                f"\nseed {seed}, {args.units} x {args.periods}, {label}: converged "
                f"{health['converged']}, max R-hat {health['max_r_hat']:.3f}, min bulk ESS "
                f"{health['min_ess_bulk']:.0f}, min tail ESS {health['min_ess_tail']:.0f}, "
                f"divergences {health['divergences']}, {health['seconds']} s"
            )
            print(judge(model, data).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
            if label == "surveys":
                print(model.reliability().round(3).to_string())


if __name__ == "__main__":
    main()
