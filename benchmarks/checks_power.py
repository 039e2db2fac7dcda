"""Time and verdicts of the causal checks on generated panels with and without threats.

Run from the repository root::

    .venv/bin/python benchmarks/checks_power.py                 # one seed per threat
    .venv/bin/python benchmarks/checks_power.py --seeds 1 2 3   # more seeds

For each seed it generates a 40 x 18 panel four ways (clean, a pre-trend in
coaching, a confounder of engagement and NPS without an engagement -> NPS
effect, and NPS feeding back into engagement without it), fits the chain
(2 chains x 500 draws), runs every check and prints which ones failed and how
long each check took. Clean panels should fail nothing; each threat should
fail the check meant for it (placebo in time and event study for the pre-trend,
reverse direction for the confounder and the feedback).
"""

from __future__ import annotations

import argparse
import time
import warnings

import exlink as xl
from exlink import checks
from exlink.datasets.threats import EXAMPLES

FIT = {"draws": 500, "tune": 500, "chains": 2, "random_seed": 1, "progressbar": False}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[4])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for seed in args.seeds:
        for threat, settings in EXAMPLES.items():
            sim = xl.datasets.make_service_chain(n_units=40, n_periods=18, seed=seed, **settings)
            started = time.perf_counter()
            model = xl.ChainModel(sim.chain).fit(sim.panel(), **FIT)
            seconds = {"fit": time.perf_counter() - started}
            results = {}
            for name, run in (
                ("event_study", checks.event_study),
                ("placebo_in_time", checks.placebo_in_time),
                ("placebo_in_space", checks.placebo_in_space),
                ("reverse_direction", checks.reverse_direction),
                ("prior_sensitivity", checks.prior_sensitivity),
            ):
                started = time.perf_counter()
                results[name] = run(model)
                seconds[name] = time.perf_counter() - started
            report = checks.CheckReport(results)
            failed = report.verdicts().query("status == 'failed'")
            named = ", ".join(f"{r.check}[{r.subject}]" for r in failed.itertuples()) or "none"
            timing = ", ".join(f"{k} {v:.0f}s" for k, v in seconds.items())
            print(f"seed {seed} {threat:<10} failed: {named}\n    {timing}", flush=True)


if __name__ == "__main__":
    main()
