"""How well curved links mix and recover their truth, one form per link.

The default generated chain (engagement -> NPS -> retention -> revenue) is
made with a saturating, a threshold and a registered (``softsign``) link, and
fitted with the defaults (4 chains x 1000 draws after 1000 tuning draws). For
each seed it prints the worst R-hat, bulk and tail ESS over every sampled
quantity, the worst quantity, and per link the true average slope across the
source's central range with the posterior's 90% interval.

Run from the repository root::

    .venv/bin/python benchmarks/curved_links.py                # seeds 1 2 3, 60 x 24
    .venv/bin/python benchmarks/curved_links.py --seeds 4 --units 200 --periods 36
"""

from __future__ import annotations

import argparse

import numpy as np
import pytensor.tensor as pt
from convergence import fit_and_judge

import exlink as xl
from exlink.datasets.service_chain import DEFAULT_CHAIN
from exlink.link_forms import link_form_names

FORMS = {
    "engagement -> nps": "saturating",
    "nps -> retention (lag 1)": "threshold",
    "retention -> revenue (lag 1)": "softsign",
}


def register_softsign() -> None:
    """The registered form of the benchmark: saturating with heavy tails."""
    if "softsign" not in link_form_names():
        xl.register_link_form(
            "softsign",
            numpy=lambda u: u / (1 + np.abs(u)),
            tensor=lambda u: u / (1 + pt.abs(u)),
            description="saturating with heavy tails",
        )


def curved_chain() -> xl.Chain:
    """The default chain with one curved form per link (see ``FORMS``)."""
    register_softsign()
    spec = DEFAULT_CHAIN.to_dict()
    for link in spec["links"]:
        label = xl.Link(link["source"], link["target"], lag=link.get("lag", 0)).label
        link["form"] = FORMS[label]
    return xl.Chain.from_dict(spec)


def slopes_against_truth(sim, model, hdi_prob: float = 0.9):
    """Per link: the true average slope across the source's central range, and the fit's."""
    design = model._design
    table = model.effects(hdi_prob=hdi_prob)
    table = table[table["kind"] == "link"].set_index(["source", "target", "lag"])
    rows = []
    for truth in sim.truth.links:
        source = design.stage_names.index(truth.source)
        low, high = design.central[source] * design.sds[source] + design.means[source]
        row = table.loc[(truth.source, truth.target, truth.lag)]
        value = truth.average_slope(low, high)
        rows.append(
            {
                "link": truth.label,
                "form": truth.form,
                "truth": value,
                "mean": row["mean"],
                "lower": row["lower"],
                "upper": row["upper"],
                "inside": row["lower"] <= value <= row["upper"],
            }
        )
    return rows


def fit_once(seed: int, n_units: int, n_periods: int) -> tuple[dict, list]:
    """Fit the curved chain on generated data; its worst diagnostics and its slopes."""
    sim = xl.datasets.make_service_chain(
        n_units=n_units, n_periods=n_periods, seed=seed, chain=curved_chain()
    )
    model, health = fit_and_judge(sim.chain, sim.panel(), seed)
    row = {"seed": seed, **health}
    return row, slopes_against_truth(sim, model)


def _line(row: dict) -> str:
    return "  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--units", type=int, default=60)
    parser.add_argument("--periods", type=int, default=24)
    args = parser.parse_args()
    for seed in args.seeds:
        row, slopes = fit_once(seed, args.units, args.periods)
        print(_line(row), flush=True)
        for slope in slopes:
            print("    " + _line(slope), flush=True)


if __name__ == "__main__":
    main()
