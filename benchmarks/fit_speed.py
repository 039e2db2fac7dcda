"""Compile and sampling time of ChainModel with nutpie.

Run from the repository root::

    .venv/bin/python benchmarks/fit_speed.py            # generated 40 x 18 panel
    .venv/bin/python benchmarks/fit_speed.py --bank     # the bundled retail bank, 120 x 36

It prints the seconds spent building, compiling and sampling (4 chains x 1000
draws after 1000 tuning draws) and the convergence verdict.
"""

from __future__ import annotations

import argparse
import time

import nutpie

import exlink as xl
from exlink.models.diagnostics import diagnose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bank", action="store_true", help="fit the bundled retail bank")
    args = parser.parse_args()
    if args.bank:
        data = xl.datasets.load_retail_bank()
    else:
        data = xl.datasets.make_service_chain(
            n_units=40, n_periods=18, seed=1, missing_rate={"engagement": 0.03, "nps": 0.03}
        )
    started = time.perf_counter()
    model = xl.ChainModel(data.chain).build(data.panel())
    built = time.perf_counter()
    compiled = nutpie.compile_pymc_model(model._model)
    ready = time.perf_counter()
    trace = nutpie.sample(compiled, draws=1000, tune=1000, chains=4, seed=1, progress_bar=False)
    done = time.perf_counter()
    print(f"build {built - started:.1f}s, compile {ready - built:.1f}s, sample {done - ready:.1f}s")
    print(diagnose(trace).headline())


if __name__ == "__main__":
    main()
