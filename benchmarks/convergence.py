"""How well the default fit converges as the panel grows.

A five-stage generated chain (engagement -> service quality -> NPS ->
retention -> revenue, two interventions) over 36 months is fitted with the
defaults (4 chains x 1000 draws after 1000 tuning draws) at each panel size,
and the worst R-hat, bulk ESS and tail ESS over every sampled quantity are
printed, with the worst quantity and the sampling time.

Run from the repository root::

    .venv/bin/python benchmarks/convergence.py                      # 100, 200 and 400 units
    .venv/bin/python benchmarks/convergence.py --units 100 --periods non-centred

``--periods`` forces the parametrisation of the period effects (``centred``
or ``non-centred``); by default the model chooses
(:data:`exlink.models.period_effects.CENTRED_PERIODS_FROM_UNITS`).
"""

from __future__ import annotations

import argparse
import time
import warnings

import exlink as xl
from exlink.models import period_effects

FIVE_STAGES = xl.Chain(
    stages=[
        xl.Stage("engagement", "ex"),
        xl.Stage("service", "cx"),
        xl.Stage("nps", "cx"),
        xl.Stage("retention", "customer"),
        xl.Stage("revenue", "financial"),
    ],
    links=[
        xl.Link("engagement", "service"),
        xl.Link("service", "nps"),
        xl.Link("nps", "retention", lag=1),
        xl.Link("retention", "revenue", lag=1),
    ],
    interventions=[
        xl.Intervention("coaching", "engagement", lever="people"),
        xl.Intervention("service_design", "service", lever="process"),
    ],
)


def fit_once(n_units: int, periods: str | None, seed: int) -> dict:
    """Fit the five-stage chain on ``n_units`` x 36 months; the worst diagnostics."""
    if periods is not None:
        period_effects.CENTRED_PERIODS_FROM_UNITS = 0 if periods == "centred" else 10**9
    data = xl.datasets.make_service_chain(
        n_units=n_units, n_periods=36, seed=seed, chain=FIVE_STAGES
    )
    _, health = fit_and_judge(data.chain, data.panel(), seed)
    return {"units": n_units, "periods": periods or "default", **health}


def fit_and_judge(chain: xl.Chain, panel: xl.Panel, seed: int) -> tuple[xl.ChainModel, dict]:
    """Fit with the defaults; the model and its worst diagnostics over every sampled quantity."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = xl.ChainModel(chain).fit(panel, random_seed=seed, progressbar=False)
    seconds = time.perf_counter() - started
    health = model.diagnostics()
    worst = health.by_group().iloc[0]
    return model, {
        "max_r_hat": health.table["r_hat"].max(),
        "min_ess_bulk": health.table["ess_bulk"].min(),
        "min_ess_tail": health.table["ess_tail"].min(),
        "divergences": health.divergences,
        "worst": f"{worst['parameter']}[{worst['worst_element']}]",
        "converged": health.converged,
        "seconds": round(seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="*", default=[100, 200, 400])
    parser.add_argument("--periods", choices=["centred", "non-centred"], default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for n_units in args.units:
        row = fit_once(n_units, args.periods, args.seed)
        print(
            "  ".join(
                f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
