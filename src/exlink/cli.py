"""The ``exlink`` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path

from exlink._names import did_you_mean
from exlink._paths import check_input_file, check_output_file, check_output_folder
from exlink._version import __version__
from exlink._yaml import yaml_error_message
from exlink.data import Panel
from exlink.periods import FREQUENCY_WORDS
from exlink.spec import Chain
from exlink.surveys import Survey


def describe_dataset(panel: Panel, chain: Chain) -> str:
    """A plain-text account of a panel: its size, stages by role and rollouts.

    Parameters
    ----------
    panel
        The data.
    chain
        The chain whose roles and levers label the stages and interventions.
    """
    periods = panel.periods
    lines = [
        f"{panel.n_units} units ({panel.unit_column}) x {panel.n_periods} "
        f"{FREQUENCY_WORDS[panel.frequency]} periods, "
        f"{panel.format_period(periods[0])} to {panel.format_period(periods[-1])}",
        "",
        "Stages by role:",
    ]
    missing = panel.missing
    for role, names in chain.by_role().items():
        shown = [f"{n} ({missing[n]} missing)" if missing[n] else n for n in names]
        lines.append(_wrap(f"  {role:<10} {', '.join(shown)}", indent=13))
    lines += ["", "Interventions and their rollout:"]
    rollout = panel.rollout()
    for intervention in chain.interventions:
        row = rollout.loc[intervention.name]
        reach = (
            f"{row.units_treated} of {panel.n_units} units in {row.waves} wave(s), "
            f"{panel.format_period(row.first_period)} to {panel.format_period(row.last_period)}"
            if row.units_treated
            else "never rolled out"
        )
        lines.append(
            f"  {intervention.name} ({intervention.lever}) -> {', '.join(intervention.targets)}"
        )
        lines.append(f"      {reach}")
    lines += ["", f"Links ({len(chain.links)}):"]
    for link in chain.links:
        notes = [link.form] if link.form != "linear" else []
        notes += [f"moderated by {link.moderator}"] if link.moderator else []
        lines.append(f"  {link.label}" + (f" [{'; '.join(notes)}]" if notes else ""))
    return "\n".join(lines)


def _wrap(text: str, indent: int) -> str:
    return textwrap.fill(text, width=100, subsequent_indent=" " * indent, break_on_hyphens=False)


def _demo(args: argparse.Namespace) -> int:
    from exlink.datasets import load_retail_bank
    from exlink.demo import run_demo

    bank = load_retail_bank()
    print("exlink demo: the bundled retail bank, fitted, its candidate investments simulated\n")
    print(describe_dataset(bank.panel(), bank.chain), "\n", flush=True)
    done = run_demo(
        args.out,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        random_seed=args.seed,
        progressbar=not args.quiet,
        echo=lambda message: print(message, flush=True),
        allow_unconverged=args.allow_unconverged,
        checks=not args.no_checks,
    )
    summary = done.run.result.summary()
    columns = ["npv_mean", "npv_p05", "npv_p95", "p_loss", "roi", "cost"]
    print(f"\n{summary[columns].to_string(float_format=lambda v: f'{v:,.2f}')}")
    print(f"\nRecommended plan\n{done.run.plan!r}")
    print(f"\nWrote {len(done.files)} files into {args.out}/; open the report: {done.report}")
    return 0


def read_chain_file(path: str | Path) -> tuple[Chain, dict]:
    """Read a chain YAML file and its optional ``data:`` block of column names.

    Raises
    ------
    ValueError
        Naming the file (and the line, for YAML syntax) and what is wrong.
    """
    import yaml

    path = check_input_file(path, "chain file")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(yaml_error_message(err, path)) from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file.") from None
    if not isinstance(spec, dict):
        raise ValueError(
            f"{path}: not a chain YAML file (a mapping of stages, links, interventions)."
        )
    columns = spec.pop("data", None) or {}
    if not isinstance(columns, dict):
        raise ValueError(
            f"{path}: 'data' must be a mapping such as {{unit: branch, period: month, "
            f"attributes: [region]}}, got {columns!r}."
        )
    unknown = [key for key in columns if key not in DATA_KEYS]
    if unknown:
        raise ValueError(
            f"{path}: data: unknown key {unknown[0]!r}.{did_you_mean(unknown[0], DATA_KEYS)} "
            f"Valid keys: {', '.join(DATA_KEYS)}."
        )
    for key in ("unit", "period"):
        if key in columns and not isinstance(columns[key], str):
            raise ValueError(f"{path}: data.{key} must be a column name, got {columns[key]!r}.")
    attributes = columns.get("attributes")
    if attributes is not None and (
        not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes)
    ):
        raise ValueError(
            f"{path}: data.attributes must be a list of column names, got {attributes!r}."
        )
    surveys = columns.get("surveys")
    if surveys is not None:
        if not isinstance(surveys, dict):
            raise ValueError(
                f"{path}: data.surveys must map stages to their survey columns, such as "
                f"{{engagement: {{n: engagement_n, sd: engagement_sd}}}}, got {surveys!r}."
            )
        read = {}
        for stage, value in surveys.items():
            try:
                read[stage] = Survey.from_mapping(str(stage), value)
            except (TypeError, ValueError) as err:
                raise ValueError(f"{path}: data.surveys.{stage}: {err}") from None
        columns["surveys"] = read
    try:
        chain = Chain.from_dict(spec)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from None
    return chain, columns


DATA_KEYS = ("unit", "period", "attributes", "surveys")
"""Keys of a chain file's ``data:`` block."""


def read_panel_csv(path: str | Path, chain: Chain, columns: dict, args) -> Panel:
    """Read a long CSV into a panel with the chain's stages and interventions."""
    import pandas as pd

    unit = args.unit or columns.get("unit", "unit")
    period = args.period or columns.get("period", "period")
    attributes = args.attributes or columns.get("attributes") or list(chain.moderators)
    path = check_input_file(path, "data file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        reason = " ".join(str(err).split())
        raise ValueError(f"{path}: not a readable CSV file ({reason}).") from None
    if period in frame.columns and pd.api.types.is_string_dtype(frame[period]):
        # Text that is not dates stays text: Panel.from_frame explains what a period holds.
        with contextlib.suppress(ValueError, TypeError):
            frame[period] = pd.to_datetime(frame[period], format="mixed")
    try:
        return Panel.from_frame(
            frame,
            unit=unit,
            period=period,
            stages=list(chain.columns),
            interventions=list(chain.intervention_names),
            attributes=attributes,
            surveys=columns.get("surveys"),
        )
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: {err}") from None


def _fit(args: argparse.Namespace) -> int:
    from exlink.models.chain import ChainModel

    check_output_file(args.out, ".nc")
    chain, columns = read_chain_file(args.chain)
    panel = read_panel_csv(args.data, chain, columns, args)
    print(panel, flush=True)
    model = ChainModel(chain).fit(
        panel,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        random_seed=args.seed,
        progressbar=not args.quiet,
    )
    path = model.save(args.out)
    print(f"\n{model.diagnostics().headline()}\n")
    table = model.effects()[["kind", "source", "target", "lag", "mean", "lower", "upper"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"\nSaved {path}")
    return 0


def _scenario_on_model(args: argparse.Namespace):
    """Read the scenario, load its model, show the model's health, simulate and choose a plan."""
    from exlink.models.chain import ChainModel
    from exlink.models.diagnostics import ConvergenceWarning
    from exlink.simulation.portfolio import UNCONVERGED_NOTE
    from exlink.simulation.scenario import read_scenario, run_scenario

    scenario = read_scenario(args.scenario)
    model_path = args.model or scenario.model
    if model_path is None:
        raise ValueError(f"{args.scenario}: name the fitted model with --model or a 'model:' key.")
    print(f"Simulating {len(scenario.investments)} investments on {model_path} ...", flush=True)
    model = ChainModel.load(model_path)
    health = model.diagnostics()
    print(f"Model health: {health.headline()}", flush=True)
    if not health.converged and args.allow_unconverged:
        print(f"{UNCONVERGED_NOTE} Every output is marked model_converged=False.", flush=True)
    with warnings.catch_warnings():
        # The health verdict is printed above.
        warnings.simplefilter("ignore", ConvergenceWarning)
        run = run_scenario(scenario, model, allow_unconverged=args.allow_unconverged)
    return model, run


def _simulate(args: argparse.Namespace) -> int:
    from exlink.simulation.scenario import write_outputs

    check_output_folder(args.out)
    _, run = _scenario_on_model(args)
    tables = run.tables()
    files = write_outputs(tables, args.out)
    print(f"\n{run.plan!r}\n")
    if run.information is not None:
        print(f"{run.information!r}\n")
    summary = tables["summary"].set_index("investment")
    columns = ["npv_mean", "npv_p05", "npv_p95", "p_loss", "roi", "cost"]
    print(summary[columns].to_string(float_format=lambda v: f"{v:,.2f}"))
    print(f"\nWrote {', '.join(str(f) for f in files)}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from exlink.checks import check_all
    from exlink.report import write_html

    check_output_file(args.out)
    model, run = _scenario_on_model(args)
    checks = None
    if args.checks:
        print("Running the causal checks (the placebos refit the model) ...", flush=True)
        checks = check_all(model, fit={"progressbar": False})
        print(checks, flush=True)
    path = write_html(model, run.result, args.out, run.plan, title=args.title, checks=checks)
    written = [path]
    if args.pdf:
        from exlink.report_pdf import write_pdf

        written.append(write_pdf(path))
    print(f"{run.plan!r}\n\nWrote {' and '.join(str(f) for f in written)}")
    return 0


CHECKS_FAILED = 3
"""Exit status of ``exlink check`` when a check failed."""


def _check(args: argparse.Namespace) -> int:
    from exlink.checks import check_all
    from exlink.models.chain import ChainModel
    from exlink.plotting import check_figures

    check_output_folder(args.out)
    model = ChainModel.load(args.model)
    health = model.diagnostics()
    print(f"Model health: {health.headline()}")
    if health.identification:
        print(health.identification_note())
    print("\nRunning the causal checks ...", flush=True)
    fit = {"draws": args.draws, "tune": args.tune, "random_seed": args.seed}
    fit["progressbar"] = not args.quiet
    report = check_all(
        model, fit=fit, sensitivity=not args.no_sensitivity, progressbar=not args.quiet
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.verdicts().to_csv(out / "verdicts.csv", index=False)
    for name, figure in check_figures(report).items():
        figure.savefig(out / f"{name}.png", dpi=110)
    print(f"\n{report!r}\n\nWrote verdicts.csv and {len(report.results)} figures into {out}/")
    return 0 if report.passed else CHECKS_FAILED


def _sampler_arguments(
    parser: argparse.ArgumentParser, seed: int | None = None, draws: int | None = None
) -> None:
    """The sampler settings every fitting command takes."""
    shown = draws or "1000; 2000 when survey stages feed links"
    parser.add_argument("--draws", type=int, default=draws, help=f"draws per chain ({shown})")
    parser.add_argument("--tune", type=int, default=1000, help="tuning draws per chain (1000)")
    parser.add_argument("--chains", type=int, default=4, help="chains (4)")
    parser.add_argument("--seed", type=int, default=seed, help=f"random seed ({seed})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _allow_unconverged_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-unconverged",
        action="store_true",
        help="compute money answers even when the model has not converged (outputs are marked)",
    )


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every scenario command takes."""
    parser.add_argument("--scenario", required=True, help="the YAML scenario file")
    parser.add_argument("--model", help="the saved model (.nc); default: the scenario's model")
    _allow_unconverged_argument(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``exlink`` command."""
    parser = argparse.ArgumentParser(
        prog="exlink",
        description="Link employee-experience investments to customer experience and money.",
    )
    parser.add_argument("--version", action="version", version=f"exlink {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="fit the bundled retail bank, simulate its candidate investments, write a report",
        description="Fit a ChainModel to the bundled retail-bank panel (120 branches, 36 months), "
        "simulate its bundled candidate investments, choose the plan under the budget, and write "
        "the model, scenario, CSV tables, figures and an HTML report into one folder.",
    )
    demo.add_argument("--out", default="exlink-demo", help="folder to write into (exlink-demo/)")
    _sampler_arguments(demo, seed=1, draws=1000)
    _allow_unconverged_argument(demo)
    demo.add_argument(
        "--no-checks",
        action="store_true",
        help="skip the causal checks (their placebos refit the model twice)",
    )
    demo.set_defaults(run=_demo)
    fit = commands.add_parser(
        "fit",
        help="fit a ChainModel to a CSV panel and save it",
        description="Fit a ChainModel to a long CSV (one row per unit and period) and save the "
        "posterior, data, chain and priors to a netCDF file. The chain YAML may carry a 'data:' "
        "block naming the unit, period and attribute columns.",
    )
    fit.add_argument("data", help="the CSV file")
    fit.add_argument("--chain", required=True, help="the chain YAML (stages, links, interventions)")
    fit.add_argument("--out", default="model.nc", help="the model file to write (model.nc)")
    fit.add_argument("--unit", help="unit column (default: data.unit in the chain file, or 'unit')")
    fit.add_argument("--period", help="period column (default: data.period, or 'period')")
    fit.add_argument("--attributes", nargs="*", help="unit attribute columns (default: moderators)")
    _sampler_arguments(fit)
    fit.set_defaults(run=_fit)
    simulate = commands.add_parser(
        "simulate",
        help="simulate a scenario file's investments on a saved model and choose a plan",
        description="Simulate the investments of a YAML scenario on a saved model, choose the "
        "best plan under its budget, and write summary.csv, plan.csv, cashflows.csv and "
        "information.csv.",
    )
    _scenario_arguments(simulate)
    simulate.add_argument("--out", default="results", help="folder for the CSV files (results/)")
    simulate.set_defaults(run=_simulate)
    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report of a saved model and a scenario",
        description="Simulate a scenario on a saved model and write one HTML file, figures "
        "embedded, that opens offline: the decision first, then the plan with a budget "
        "explorer, the investments, the chain and its effects, the data, model health, "
        "checks, assumptions and caveats. --pdf also prints it to a PDF.",
    )
    _scenario_arguments(report)
    report.add_argument("--out", default="report.html", help="the HTML file (report.html)")
    report.add_argument("--title", default="exlink report", help="the report's title")
    report.add_argument(
        "--checks", action="store_true", help="run the causal checks and add them to the report"
    )
    report.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to a PDF beside it (a headless Chromium; EXLINK_BROWSER "
        "names one)",
    )
    report.set_defaults(run=_report)
    check = commands.add_parser(
        "check",
        help="run the causal checks on a saved model",
        description="Run the falsification checks on a saved model (event study, placebo in "
        "time, placebo in space, reverse direction, prior sensitivity) and write verdicts.csv "
        f"and one figure per check. Exits with status {CHECKS_FAILED} when a check failed.",
    )
    check.add_argument("model", help="the saved model (.nc)")
    check.add_argument("--out", default="checks", help="folder to write into (checks/)")
    check.add_argument(
        "--no-sensitivity",
        action="store_true",
        help="skip prior sensitivity (it refits only where reweighting fails)",
    )
    check.add_argument("--draws", type=int, default=500, help="draws per chain of a refit (500)")
    check.add_argument("--tune", type=int, default=500, help="tuning draws of a refit (500)")
    check.add_argument("--seed", type=int, default=1, help="random seed of the refits (1)")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.set_defaults(run=_check)
    return parser


USER_ERRORS = (ValueError, TypeError, KeyError, LookupError, OSError)
"""Errors that carry a message for the user: printed as one line, exit status 1."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``exlink`` command; returns the exit status.

    Every error is one line on standard error naming the file and the fix,
    with exit status 1; a closed output pipe (``exlink ... | head``) ends
    the command quietly. Set ``EXLINK_DEBUG=1`` for a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader of our output has gone (for example `| head`): stop without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"exlink {args.command}: interrupted; nothing more was written.", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("EXLINK_DEBUG"):
            raise
        print(f"exlink {args.command}: {_one_line(err)}", file=sys.stderr)
        return 1


def _one_line(err: BaseException) -> str:
    """An exception as one line: its message, or its kind with a request to report it."""
    if isinstance(err, KeyError) and err.args:
        message = str(err.args[0])
    elif isinstance(err, OSError) and err.strerror:
        message = f"{err.filename}: {err.strerror}" if err.filename else err.strerror
    else:
        message = str(err)
    message = " ".join(message.split())
    if not isinstance(err, USER_ERRORS):
        return (
            f"unexpected {type(err).__name__}: {message}. This is a bug in exlink: please report "
            "it with the command you ran (EXLINK_DEBUG=1 shows the traceback)."
        )
    return message


if __name__ == "__main__":
    sys.exit(main())
