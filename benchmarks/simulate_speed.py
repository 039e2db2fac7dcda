"""What simulating a scenario costs on a fitted model: the steps after the fit.

It reads a fitted model and its scenario (the folder ``exlink demo`` writes:
``model.nc`` and ``scenario.yaml``) and prints the seconds of each step:

- the model's health check (R-hat and ESS of every sampled quantity), which
  every simulation needs first;
- ``simulate``: each investment on its own;
- the scenario run: the simulation, every joint simulation the plan's
  choice needs (pairs and subsets of investments that interact) and the
  choice of the plan;
- ``total_effects``: each intervention's permanent rollout over 240 periods.

Run from the repository root, after ``exlink demo --out exlink-demo``::

    .venv/bin/python benchmarks/simulate_speed.py exlink-demo
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import exlink as xl
from exlink.simulation.scenario import read_scenario, run_scenario


def seconds(step) -> tuple[float, object]:
    start = time.perf_counter()
    out = step()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder holding model.nc and scenario.yaml")
    args = parser.parse_args()
    model = xl.ChainModel.load(args.folder / "model.nc")
    scenario = read_scenario(args.folder / "scenario.yaml")
    panel = model.panel
    print(
        f"{panel.n_units} units x {panel.n_periods} periods, {len(model.chain.stages)} stages, "
        f"{len(scenario.investments)} investments, {scenario.draws} draws, "
        f"horizon {scenario.finance.horizon}"
    )
    health, _ = seconds(lambda: model.fitted.diagnostics)
    print(f"health check        {health:7.1f} s")
    alone, _ = seconds(
        lambda: xl.simulate(
            model,
            scenario.investments,
            scenario.finance,
            draws=scenario.draws,
            random_seed=scenario.seed,
        )
    )
    print(f"simulate            {alone:7.1f} s")
    whole, run = seconds(lambda: run_scenario(scenario, model))
    print(f"scenario run + plan {whole:7.1f} s   plan: {', '.join(run.plan.selected) or 'none'}")
    effects, _ = seconds(lambda: model.total_effects())
    print(f"total_effects       {effects:7.1f} s")


if __name__ == "__main__":
    main()
