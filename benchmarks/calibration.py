"""Calibration of ChainModel's intervals over repeated simulations.

Each replicate draws true effects at random (a link coefficient, an
intervention effect and its adoption rate), generates a small panel with
``exlink.datasets.make_service_chain``, fits the model, and records whether the
central 50% and 90% posterior intervals hold the truth. Well-calibrated
intervals hold it about 50% and 90% of the time. The model is compiled once
per process; each later replicate swaps in its data.

With ``--surveys`` engagement is a survey stage: each value is the mean of
about 20 responses whose SD is drawn per replicate (8 to 20 points), declared
with its count and SD, so the coverage is that of the measurement-error model.

Run from the repository root::

    .venv/bin/python benchmarks/calibration.py --replicates 100
    .venv/bin/python benchmarks/calibration.py --replicates 100 --surveys
    .venv/bin/python benchmarks/calibration.py --replicates 100 --workers 2

It prints the coverage of every effect parameter beside the nominal value, with
its binomial standard error, and how many replicates converged.

The replicates are independent: ``--workers 2`` runs them in batches on a
local Dask cluster of two workers (``pip install -e ".[dask]"``), and
``--scheduler tcp://host:8786`` on an existing cluster. Each worker compiles
the model once; the seeds, and so the numbers, are the same as in one process.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import exlink as xl
from exlink.models.compiled_models import COMPILED
from exlink.spec import Chain, Intervention, Link, Stage

CHAIN = Chain(
    [Stage("engagement", "ex"), Stage("nps", "cx")],
    [Link("engagement", "nps")],
    [Intervention("coaching", "engagement", lever="people")],
)
LEVELS = (0.5, 0.9)


def replicate(seed: int, n_units: int, n_periods: int, surveys: bool = False):
    rng = np.random.default_rng(10_000 + seed)
    truth = {
        "beta": rng.uniform(0.1, 1.0),
        "gamma": rng.uniform(1.0, 6.0),
        "ramp": rng.uniform(0.2, 0.9),
    }
    measured = (
        {"engagement": {"responses": 20, "sd": float(rng.uniform(8.0, 20.0))}} if surveys else None
    )
    sim = xl.datasets.make_service_chain(
        n_units=n_units,
        n_periods=n_periods,
        seed=seed,
        chain=CHAIN,
        links={"engagement -> nps": truth["beta"]},
        interventions={
            "coaching": {"effects": {"engagement": truth["gamma"]}, "ramp_rate": truth["ramp"]}
        },
        rollouts={"coaching": {"coverage": 0.5, "waves": 3}},
        surveys=measured,
    )
    return sim, truth


def run_seeds(
    seeds: list[int], units: int, periods: int, draws: int, surveys: bool
) -> tuple[list[dict], int]:
    """Fit the replicates of some seeds; their records and how many converged.

    One Dask task runs one such batch. The replicates share one structure, so
    every fit after a process's first reuses its compiled model with the
    replicate's data swapped in (``exlink.models.compiled_models``); the draws
    are those of a fresh compile, whichever batch a replicate ran in.
    """
    records, converged = [], 0
    for seed in seeds:
        sim, truth = replicate(seed, units, periods, surveys)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", xl.ConvergenceWarning)
            model = xl.ChainModel(CHAIN).fit(
                sim.panel(), draws=draws, tune=draws, chains=4, random_seed=seed, progressbar=False
            )
        converged += model.diagnostics().converged
        posterior = model.idata.posterior
        samples = {
            "beta": posterior["beta"].values.ravel(),
            "gamma": posterior["gamma"].values.ravel(),
            "ramp": posterior["ramp_std"].values.ravel(),
        }
        for name, values in samples.items():
            row = {"replicate": seed, "parameter": name, "truth": truth[name]}
            for level in LEVELS:
                lower, upper = np.quantile(values, [0.5 - level / 2, 0.5 + level / 2])
                row[f"in_{int(level * 100)}"] = lower <= truth[name] <= upper
            row["rank"] = float((values < truth[name]).mean())
            records.append(row)
    print(f"  compiled {COMPILED.misses} time(s) for {len(seeds)} fits", flush=True)
    return records, converged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--surveys", action="store_true", help="engagement measured by a survey")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="run on a local Dask cluster of this many")
    where.add_argument("--scheduler", help="run on the Dask cluster at this address")
    args = parser.parse_args()

    started = time.time()
    settings = (args.units, args.periods, args.draws, args.surveys)
    seeds = list(range(args.replicates))
    if args.workers is None and args.scheduler is None:
        records, converged = run_seeds(seeds, *settings)
    else:
        from dask.distributed import Client, LocalCluster

        cluster = (
            LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None)
            if args.workers
            else None
        )
        with Client(cluster or args.scheduler) as client:
            batches = max(1, len(client.scheduler_info()["workers"]))
            chunks = [seeds[i::batches] for i in range(batches)]
            futures = [client.submit(run_seeds, chunk, *settings, pure=False) for chunk in chunks]
            results = client.gather(futures)
        if cluster is not None:
            cluster.close()
        records = [row for batch, _ in results for row in batch]
        converged = sum(count for _, count in results)
        print(f"  {args.replicates} replicates on {batches} Dask workers", flush=True)

    table = pd.DataFrame(records)
    n = args.replicates
    print(
        f"\nCalibration of ChainModel over {n} replicates"
        f"{' with engagement measured by a survey' if args.surveys else ''} "
        f"({args.units} units x {args.periods} periods, 4 chains x {args.draws} draws); "
        f"{converged} of {n} converged; {time.time() - started:.0f}s\n"
    )
    rows = []
    for name, group in table.groupby("parameter", sort=False):
        row = {"parameter": name}
        for level in LEVELS:
            key = f"in_{int(level * 100)}"
            row[f"coverage_{int(level * 100)}"] = group[key].mean()
            row[f"nominal_{int(level * 100)}"] = level
            row[f"se_{int(level * 100)}"] = np.sqrt(level * (1 - level) / n)
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
