"""The full exlink job on the bundled retail bank: fit, simulate, choose, report.

:func:`run_demo` is what ``exlink demo`` (and ``make demo``) runs. It fits a
:class:`~exlink.models.chain.ChainModel` to the bundled retail-bank panel,
simulates the bundled candidate scenario, chooses the plan under its budget
and writes everything into one folder::

    exlink-demo/
        model.nc          the fitted model (exlink simulate/report take it)
        scenario.yaml     the candidate investments, pointing at model.nc
        summary.csv       NPV, risk, ROI and stage changes per investment
        plan.csv          the recommended plan
        cashflows.csv     expected cash flows per investment and period
        information.csv   value of information: EVPPI per investment, EVPI
        effects.csv       every link and intervention effect with its interval
        verdicts.csv      the causal checks' verdicts (unless checks=False)
        report.html       the self-contained report
        figures/*.png     the report's figures

The causal checks run at reduced refit settings (:data:`CHECK_FIT`: the
placebos refit the bank with fewer draws; the prior sensitivity reweights
the fitted draws), so the report shows them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from exlink.datasets.retail_bank import load_retail_bank
from exlink.models.chain import ChainModel
from exlink.models.diagnostics import ConvergenceWarning
from exlink.simulation.scenario import ScenarioRun, read_scenario, run_scenario, write_outputs

SCENARIO_FILE = "retail_bank_scenario.yaml"

CHECK_FIT = {"draws": 300, "tune": 300, "chains": 2, "progressbar": False}
"""Sampler settings of the demo's placebo refits: enough to read a placebo's interval."""


def demo_scenario_text() -> str:
    """The bundled candidate scenario for the retail bank, as YAML text."""
    return resources.files("exlink.datasets").joinpath("data", SCENARIO_FILE).read_text()


@dataclass
class DemoRun:
    """What :func:`run_demo` made: the model, the scenario run and the files."""

    model: ChainModel
    run: ScenarioRun
    report: Path
    files: list[Path]


def run_demo(
    out: str | Path = "exlink-demo",
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int = 1,
    progressbar: bool = True,
    echo=print,
    allow_unconverged: bool = False,
    checks: bool = True,
) -> DemoRun:
    """Fit the retail bank, simulate its candidate investments and write the report.

    Parameters
    ----------
    out
        The folder to write into; created when missing, files in it replaced.
    draws, tune, chains
        Sampler settings of the fit.
    random_seed
        Seed of the fit (the scenario file carries the simulation's seed).
    progressbar
        Show the sampler's progress.
    echo
        Called with each progress message; ``print`` by default.
    allow_unconverged
        Simulate and report even when the fit has not converged (the tables
        and the report then say so); otherwise such a fit stops the demo with
        a :class:`~exlink.ConvergenceError` after the model is saved.
    checks
        Run the causal checks (event study, placebos in time and space,
        reverse direction, prior sensitivity; the placebos refit with
        :data:`CHECK_FIT`) and put them in the report and ``verdicts.csv``.

    Returns
    -------
    DemoRun
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bank = load_retail_bank()
    panel = bank.panel()
    echo(f"Fitting the retail-bank chain to {panel!r} ...")
    model = ChainModel(bank.chain).fit(
        panel,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        progressbar=progressbar,
    )
    health = model.diagnostics()
    echo(f"Model health: {health.headline()}")
    model_file = model.save(out / "model.nc")
    scenario_file = out / "scenario.yaml"
    scenario_file.write_text(demo_scenario_text())
    scenario = read_scenario(scenario_file)
    echo(
        f"Simulating {len(scenario.investments)} candidate investments over "
        f"{scenario.finance.horizon} months ..."
    )
    with warnings.catch_warnings():
        # The health verdict is printed above and heads the report.
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = run_scenario(scenario, model, allow_unconverged=allow_unconverged)
    tables = run.tables() | {"effects": model.effects().reset_index(drop=True)}
    report_checks = None
    if checks:
        from exlink.checks import check_all

        echo(
            "Running the causal checks (event study, placebos in time and space, reverse "
            "direction, prior sensitivity; the placebos refit the model with fewer draws) ..."
        )
        report_checks = check_all(
            model,
            fit=CHECK_FIT | {"random_seed": random_seed},
            progressbar=progressbar,
        )
        echo(repr(report_checks).splitlines()[0])
        tables["verdicts"] = report_checks.verdicts()
    files = [model_file, scenario_file, *write_outputs(tables, out)]
    from exlink.report import write_html

    report = write_html(
        model,
        run.result,
        out / "report.html",
        run.plan,
        title="exlink demo: the retail bank",
        figures=out / "figures",
        checks=report_checks,
    )
    files += [report, *sorted((out / "figures").glob("*.png"))]
    return DemoRun(model=model, run=run, report=report, files=files)
