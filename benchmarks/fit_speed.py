"""How fast exlink fits, case by case, beside a hand-written model of the first case.

Cases (each in a fresh process, so its peak memory is its own):

- ``a``: 200 units x 36 months, three stages (engagement -> NPS -> revenue a
  month later), one staggered intervention with an adoption ramp;
- ``b``: the same with engagement and NPS survey means of about 25 and 60
  responses;
- ``c``: 1,000 units x 60 months, five stages;
- ``d``: the bundled retail bank (120 branches x 36 months, thirteen stages);
- ``e``: the same bank with its nine survey stages reported as means of
  responses (:func:`exlink.datasets.build_retail_bank` with ``surveys=True``);
  not run unless named, for its true values are sampled and it takes many
  times as long as ``d``;
- ``ref``: case (a)'s data in the hand-written PyMC model of
  ``benchmarks/reference_model.py``.

exlink's cases compile and sample with the arithmetic
:meth:`exlink.ChainModel.fit` uses: IEEE arithmetic in program order
(:func:`exlink.models.sampling.exact_arithmetic`), so a seed gives the same
draws on a cold or a warm compile cache. ``--fastmath`` compiles them with
numba's ``fastmath`` instead, to show what that guarantee costs. The
hand-written model always compiles with nutpie's defaults (``fastmath`` on),
as its author would run it. ``--cold`` gives each case empty PyTensor and
numba cache folders (deleted afterwards), so its compile seconds are those of
a first fit on a new machine; by default the cases use the user's caches.

Each line gives the seconds to build the model, compile it with nutpie and
sample it, the smallest bulk ESS over every sampled quantity, ESS per second
of sampling, the largest R-hat and the quantity it belongs to
(``"worst"``, parameter and element), the process's peak memory and whether its
caches started empty (``"cold"``) or as found. nutpie compiles
with numba by default (its cache makes a second compile of the same graph
shorter); ``--backend jax`` compiles with JAX, on a GPU when JAX sees one.
Run from the repository root::

    .venv/bin/python benchmarks/fit_speed.py                       # a, ref, b, c, d
    .venv/bin/python benchmarks/fit_speed.py --cases a ref --chains 4 --draws 1000
    .venv/bin/python benchmarks/fit_speed.py --cases a d --backend jax   # needs exlink[jax]
    .venv/bin/python benchmarks/fit_speed.py --cases a ref --fastmath
    .venv/bin/python benchmarks/fit_speed.py --cases d --cold            # nothing cached
    .venv/bin/python benchmarks/fit_speed.py --cases d e --draws 300 --tune 300 --chains 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

CASES = ("a", "ref", "b", "c", "d", "e")
DEFAULT_CASES = ("a", "ref", "b", "c", "d")
CASE_A = {"n_units": 200, "n_periods": 36, "seed": 1}


def case_data(case: str):
    """The generated (or bundled) data of a case and its chain."""
    import exlink as xl
    from exlink.spec import Chain, Intervention, Link, Stage

    three = Chain(
        stages=[Stage("engagement", "ex"), Stage("nps", "cx"), Stage("revenue", "financial")],
        links=[Link("engagement", "nps"), Link("nps", "revenue", lag=1)],
        interventions=[Intervention("coaching", "engagement", lever="people")],
    )
    truth = {
        "links": {"engagement -> nps": 0.8, "nps -> revenue (lag 1)": 1.5},
        "interventions": {"coaching": {"effects": {"engagement": 4.0}, "ramp_rate": 0.35}},
    }
    if case in ("a", "ref"):
        return xl.datasets.make_service_chain(**CASE_A, chain=three, **truth)
    if case == "b":
        surveys = {"engagement": {"responses": 25, "sd": 14}, "nps": {"responses": 60, "sd": 60}}
        return xl.datasets.make_service_chain(**CASE_A, chain=three, surveys=surveys, **truth)
    if case == "c":
        five = Chain(
            stages=[
                Stage("engagement", "ex"),
                Stage("enablement", "ex"),
                Stage("nps", "cx"),
                Stage("retention", "customer"),
                Stage("revenue", "financial"),
            ],
            links=[
                Link("engagement", "nps"),
                Link("enablement", "nps"),
                Link("nps", "retention", lag=1),
                Link("retention", "revenue", lag=1),
            ],
            interventions=[Intervention("coaching", "engagement", lever="people")],
        )
        return xl.datasets.make_service_chain(
            1000,
            60,
            seed=1,
            chain=five,
            links={
                "engagement -> nps": 0.8,
                "enablement -> nps": 0.5,
                "nps -> retention (lag 1)": 0.05,
                "retention -> revenue (lag 1)": 4.0,
            },
            interventions=truth["interventions"],
        )
    if case == "e":
        return xl.datasets.build_retail_bank(surveys=True)
    return xl.datasets.load_retail_bank()


def run_case(
    case: str, draws: int, tune: int, chains: int, backend: str = "numba", fastmath: bool = False
) -> dict:
    """Build, compile (with nutpie's ``backend``) and sample one case in this process."""
    import contextlib

    import nutpie

    import exlink as xl
    from exlink.models.diagnostics import diagnose
    from exlink.models.sampling import exact_arithmetic

    data = case_data(case)
    started = time.perf_counter()
    if case == "ref":
        sys.path.insert(0, str(Path(__file__).parent))
        from reference_model import reference_model

        model = reference_model(data.data)
    else:
        model = xl.ChainModel(data.chain).build(data.panel()).pymc_model
    built = time.perf_counter()
    options = {"backend": "jax", "gradient_backend": "jax"} if backend == "jax" else {}
    exact = case != "ref" and not fastmath
    with exact_arithmetic() if exact else contextlib.nullcontext():
        compiled = nutpie.compile_pymc_model(model, **options)
        ready = time.perf_counter()
        trace = nutpie.sample(
            compiled, draws=draws, tune=tune, chains=chains, seed=1, progress_bar=False
        )
    done = time.perf_counter()
    health = diagnose(trace)
    table = health.by_group()
    divergences = int(trace.sample_stats["diverging"].sum())
    sampling = done - ready
    ess = float(table["ess_bulk"].min())
    worst = table.iloc[0]
    return {
        "case": case,
        "backend": backend,
        "arithmetic": "exact" if exact else "fastmath",
        "build_s": round(built - started, 1),
        "compile_s": round(ready - built, 1),
        "sample_s": round(sampling, 1),
        "min_ess_bulk": round(ess),
        "ess_per_s": round(ess / sampling, 2),
        "max_r_hat": round(float(table["r_hat"].max()), 3),
        "worst": f"{worst['parameter']}[{worst['worst_element']}]",
        "divergences": divergences,
        "converged": bool(health.converged),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def case_environment(cache: Path | None) -> dict[str, str]:
    """The environment of a case's process: this one's, with empty caches under ``cache``.

    PyTensor compiles into ``cache / "pytensor"`` (any other ``PYTENSOR_FLAGS``
    are kept) and numba caches into ``cache / "numba"``. With ``cache=None``
    the case uses the user's own caches.
    """
    env = dict(os.environ)
    if cache is None:
        return env
    flags = [f for f in env.get("PYTENSOR_FLAGS", "").split(",") if f.strip()]
    flags = [f for f in flags if not f.strip().startswith("base_compiledir=")]
    env["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={cache / 'pytensor'}"])
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    return env


def run_in_own_process(case: str, args: argparse.Namespace) -> subprocess.CompletedProcess:
    """Run one case in a fresh process, with empty caches when ``args.cold``."""
    command = [sys.executable, __file__, "--one", case, "--draws", str(args.draws)]
    command += ["--tune", str(args.tune), "--chains", str(args.chains)]
    command += ["--backend", args.backend] + (["--fastmath"] if args.fastmath else [])
    empty = tempfile.TemporaryDirectory(prefix="exlink-cold-") if args.cold else nullcontext()
    with empty as folder:
        env = case_environment(Path(folder) if folder else None)
        return subprocess.run(command, capture_output=True, text=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(DEFAULT_CASES))
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument(
        "--backend",
        choices=("numba", "jax"),
        default="numba",
        help="nutpie's compile backend (jax needs 'exlink[jax]')",
    )
    parser.add_argument(
        "--fastmath",
        action="store_true",
        help="compile exlink's cases with numba's fastmath, not fit's exact arithmetic",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="compile each case with empty PyTensor and numba caches (a first fit)",
    )
    parser.add_argument("--one", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        row = run_case(args.one, args.draws, args.tune, args.chains, args.backend, args.fastmath)
        print(json.dumps(row))
        return
    rows = []
    cache = "cold" if args.cold else "as found"
    for case in args.cases:
        done = run_in_own_process(case, args)
        if done.returncode:
            print(f"case {case} failed:\n{done.stderr[-2000:]}")
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]) | {"cache": cache})
        print(json.dumps(rows[-1]), flush=True)
    by_case = {row["case"]: row for row in rows}
    if "a" in by_case and "ref" in by_case:
        ratio = by_case["a"]["ess_per_s"] / by_case["ref"]["ess_per_s"]
        print(f"case (a): exlink's ESS/s is {ratio:.2f} times the hand-written model's")


if __name__ == "__main__":
    main()
