"""Two published structural equation models fitted by exlink beside lavaan's estimates.

Political democracy (Bollen 1989; 75 countries, three constructs, eleven
items) and Holzinger and Swineford's three-factor CFA (301 children, nine
tests), both shipped with semopy. For each the script prints the seconds to
fit (building, compiling and sampling 2 chains x 1000 draws after 1000
tuning draws, so a cold compile cache shows), the convergence verdict, and a
table of every structural path and loading: exlink's posterior mean and SD,
lavaan's published ML estimate, semopy's ML estimate of exactly the model
exlink fits, and whether exlink is within 10% or one posterior SD of both.

Run from the repository root::

    .venv/bin/python benchmarks/sem_reference.py
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import semopy
from semopy.examples import holzinger39, political_democracy

import exlink as xl
from exlink.datasets import (
    HOLZINGER_SWINEFORD,
    HOLZINGER_SWINEFORD_LAVAAN,
    POLITICAL_DEMOCRACY,
    POLITICAL_DEMOCRACY_LAVAAN,
)


def ml_estimates(description: str, data: pd.DataFrame) -> dict[str, float]:
    """semopy's ML estimates: ``'a -> b'`` for paths, the item for loadings."""
    model = semopy.Model(description)
    model.fit(data)
    table = model.inspect()
    latent = set(model.vars["latent"])
    return {
        (f"{r.rval} -> {r.lval}" if r.lval in latent else r.lval): float(r.Estimate)
        for r in table[table.op == "~"].itertuples()
    }


def compare(name, chain, data, lavaan, description, chains) -> None:
    panel = xl.Panel.from_cross_section(data.reset_index(drop=True), stages=list(chain.columns))
    start = time.perf_counter()
    model = xl.ChainModel(chain).fit(
        panel, chains=chains, draws=1000, tune=1000, random_seed=1, progressbar=False
    )
    seconds = time.perf_counter() - start
    post = model.fitted.posterior
    ml = ml_estimates(description, data)
    rows = []
    for variable in ("beta", "loading"):
        mean = post[variable].mean(("chain", "draw")).to_series()
        sd = post[variable].std(("chain", "draw")).to_series()
        for key in [k for k in mean.index if k in lavaan]:  # HS's links restate correlations
            close = [
                abs(mean[key] - ref) <= max(0.1 * abs(ref), sd[key])
                for ref in (lavaan[key], ml[key])
            ]
            rows.append(
                {
                    "parameter": key,
                    "exlink mean": mean[key],
                    "exlink sd": sd[key],
                    "lavaan ML": lavaan[key],
                    "semopy ML, same model": ml[key],
                    "within": "yes" if all(close) else "NO",
                }
            )
    print(f"\n{name}: {seconds:.1f} s to build, compile and sample ({chains} chains)")
    print(model.diagnostics().headline())
    print(pd.DataFrame(rows).round(3).to_string(index=False))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    without_residual_covariances = "\n".join(
        line for line in political_democracy.get_model().splitlines() if "~~" not in line
    )
    compare(
        "Political democracy",
        POLITICAL_DEMOCRACY,
        political_democracy.get_data(),
        POLITICAL_DEMOCRACY_LAVAAN,
        without_residual_covariances,
        chains=2,
    )
    compare(
        "Holzinger and Swineford",
        HOLZINGER_SWINEFORD,
        holzinger39.get_data(),
        HOLZINGER_SWINEFORD_LAVAAN,
        holzinger39.get_model(),
        chains=4,
    )


if __name__ == "__main__":
    main()
