"""Scenario files: a saved model, investments, finance assumptions and a budget, in YAML.

Example::

    model: model.nc                 # relative to this file
    draws: 1000                     # posterior samples to use (optional)
    seed: 1                         # for new investments' effects (optional)
    budget: 600000
    objective: expected_npv         # or cvar (optional)
    max_loss_probability: 0.1       # optional
    must_fund: [coaching_rollout]   # optional
    stage_limits:                   # optional: bounds on the plan's average change
      attrition_rate: [null, 0.0]   #   attrition must not rise
      nps: [2.0, null]              #   NPS up 2 points at least
    objectives:                     # optional: what cx_change, ex_change... sum up
      cx: nps
      ex: {engagement: 0.5, enablement: 0.5}
    pilot_costs:                    # optional: what a pilot of an investment would cost
      recognition_app: 5000
    finance:
      horizon: 36
      discount_rate: 0.08
      margin: 0.35
      money_per_stage_unit: 1000
    investments:
      - name: coaching_rollout
        intervention: coaching
        units: untreated
        cost_upfront: 4000
        cost_per_period: 250
      - name: recognition_app
        lever: technology
        effect: {engagement: [1.0, 4.0]}
        cost_upfront: 1500
        cost_per_period: 60

Every mistake is reported with the file, the line and the field, before
anything is computed or written.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from exlink._names import closest, did_you_mean
from exlink._paths import check_output_folder
from exlink._values import as_count, as_number
from exlink._yaml import yaml_error_message
from exlink.models.diagnostics import ConvergenceError
from exlink.simulation.information import value_of_information
from exlink.simulation.investments import Finance, Investment
from exlink.simulation.objectives import objective_weights
from exlink.simulation.optimisation import OBJECTIVES
from exlink.simulation.portfolio import prioritise

SCENARIO_KEYS = (
    "model",
    "draws",
    "seed",
    "budget",
    "objective",
    "max_loss_probability",
    "must_fund",
    "finance",
    "investments",
    "alpha",
    "stage_limits",
    "objectives",
    "pilot_costs",
)
REQUIRED = ("budget", "finance", "investments")


class ScenarioError(ValueError):
    """A scenario file is wrong; the message names the file, line and field."""


@dataclass
class Scenario:
    """A parsed, validated scenario file."""

    path: Path
    model: Path | None
    investments: list[Investment]
    finance: Finance
    budget: float
    objective: str = "expected_npv"
    max_loss_probability: float | None = None
    must_fund: tuple[str, ...] = ()
    alpha: float = 0.05
    draws: int | None = 1000
    seed: int | None = None
    lines: dict[tuple, int] = dataclasses.field(default_factory=dict)
    stage_limits: dict[str, tuple[float | None, float | None]] | None = None
    objectives: dict[str, Any] | None = None
    pilot_costs: dict[str, float] | None = None

    def line_of(self, *path: Any) -> int | None:
        """The line where a key path (``("investments", 0, "units")``) is written."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)

    def error(self, message: str, *path: Any) -> ScenarioError:
        """A :class:`ScenarioError` pointing at a key path of this file."""
        return _error(self.path, self.lines, path, message)


def read_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file.

    The ``model:`` path is relative to the scenario file's folder.

    Raises
    ------
    ScenarioError
        Naming the file, the line and the field of the first mistake.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file.")
    if path.is_dir():
        raise ScenarioError(f"{path} is a folder: give the scenario's YAML file.")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot be read as text ({err}).") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        lines = _lines(root) if root is not None else {}
        _refuse_repeated_keys(path, root)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ScenarioError(yaml_error_message(err, path)) from None
    if not isinstance(data, dict):
        raise _error(
            path,
            lines,
            (),
            "a scenario must be a mapping of keys such as budget, finance, investments.",
        )
    field = _Fields(path, lines)
    _refuse_unknown(path, lines, data, SCENARIO_KEYS, ())
    for key in REQUIRED:
        if data.get(key) is None:
            raise _error(
                path, lines, (key,) if key in data else (), f"missing required key {key!r}."
            )
    finance_data = data["finance"]
    if not isinstance(finance_data, dict):
        raise _error(path, lines, ("finance",), "finance must be a mapping of assumptions.")
    fields = [f.name for f in dataclasses.fields(Finance)]
    _refuse_unknown(path, lines, finance_data, fields, ("finance",))
    finance = _build(path, lines, Finance, finance_data, ("finance",))
    raw = data["investments"]
    if not isinstance(raw, list) or not raw:
        raise _error(path, lines, ("investments",), "investments must be a non-empty list.")
    investments = []
    fields = [f.name for f in dataclasses.fields(Investment)]
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _error(path, lines, ("investments", i), "each investment must be a mapping.")
        _refuse_unknown(path, lines, item, fields, ("investments", i))
        investments.append(_build(path, lines, Investment, item, ("investments", i)))
    names = [inv.name for inv in investments]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise _error(
                path, lines, ("investments", i, "name"), f"investment name {name!r} repeats."
            )
    must_fund = data.get("must_fund") or []
    if isinstance(must_fund, str):
        must_fund = [must_fund]
    if not isinstance(must_fund, list) or not all(isinstance(n, str) for n in must_fund):
        raise _error(
            path, lines, ("must_fund",), f"must_fund is a list of names, got {must_fund!r}."
        )
    for name in must_fund:
        if name not in names:
            raise _error(
                path,
                lines,
                ("must_fund",),
                f"must_fund names {name!r}, which is not an investment."
                + did_you_mean(name, names),
            )
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise _error(path, lines, ("model",), f"model is the path of a .nc file, got {model!r}.")
    objective = data.get("objective", "expected_npv")
    if objective not in OBJECTIVES:
        raise _error(
            path,
            lines,
            ("objective",),
            f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}.",
        )
    alpha = field.number(data, "alpha", 0.05)
    if not 0 < alpha < 1:
        raise _error(path, lines, ("alpha",), f"alpha is a tail share in (0, 1), got {alpha:g}.")
    cap = field.number(data, "max_loss_probability", None)
    if cap is not None and not 0 <= cap < 1:
        raise _error(
            path,
            lines,
            ("max_loss_probability",),
            f"max_loss_probability is a share in [0, 1), got {cap:g}.",
        )
    draws = field.count(data, "draws", 1000, minimum=1)
    seed = field.count(data, "seed", None, minimum=0)
    stage_limits = _read_stage_limits(path, lines, data.get("stage_limits"))
    objectives = _read_objectives(path, lines, data.get("objectives"))
    pilot_costs = _read_pilot_costs(path, lines, data.get("pilot_costs"), investments)
    return Scenario(
        path=path,
        model=(path.parent / model) if model else None,
        investments=investments,
        finance=finance,
        budget=field.number(data, "budget", None),
        objective=objective,
        max_loss_probability=cap,
        must_fund=tuple(must_fund),
        alpha=alpha,
        draws=draws,
        seed=seed,
        lines=lines,
        stage_limits=stage_limits,
        objectives=objectives,
        pilot_costs=pilot_costs,
    )


def _read_pilot_costs(path: Path, lines: dict, given, investments) -> dict | None:
    """``{investment: cost}``: what a pilot revealing the investment's return would cost."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise _error(path, lines, ("pilot_costs",), "pilot_costs maps investments to costs.")
    names = [inv.name for inv in investments]
    out = {}
    for name, cost in given.items():
        where = ("pilot_costs", name)
        if name not in names:
            raise _error(
                path, lines, where, f"{name!r} is not an investment." + did_you_mean(name, names)
            )
        try:
            out[str(name)] = as_number(cost, f"pilot cost of {name!r}")
        except (TypeError, ValueError) as err:
            raise _error(path, lines, where, str(err)) from None
    return out


def _read_stage_limits(path: Path, lines: dict, given) -> dict | None:
    """``{stage: [low, high]}``, ``null`` for no bound, read as pairs of numbers."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise _error(
            path, lines, ("stage_limits",), "stage_limits maps stages to [low, high] pairs."
        )
    out = {}
    for stage, bounds in given.items():
        where = ("stage_limits", stage)
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise _error(path, lines, where, f"give [low, high] for {stage!r}, null for no bound.")
        pair = []
        for value in bounds:
            try:
                pair.append(None if value is None else as_number(value, f"{stage} bound"))
            except (TypeError, ValueError) as err:
                raise _error(path, lines, where, str(err)) from None
        out[str(stage)] = (pair[0], pair[1])
    return out


def _read_objectives(path: Path, lines: dict, given) -> dict | None:
    """``{role: stage}`` or ``{role: {stage: weight}}``; names are checked against the model."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise _error(path, lines, ("objectives",), "objectives maps roles to a stage or weights.")
    for role, choice in given.items():
        if not isinstance(choice, str | dict):
            raise _error(
                path,
                lines,
                ("objectives", role),
                f"objectives[{role!r}] is a stage name or a mapping of stage -> weight.",
            )
    return dict(given)


@dataclass
class _Fields:
    """Reads top-level numbers of a scenario, each error pointing at its own key."""

    path: Path
    lines: dict

    def number(self, data: dict, key: str, default: float | None) -> float | None:
        value = data.get(key)
        if value is None:
            return default
        try:
            return as_number(value, key)
        except (TypeError, ValueError) as err:
            raise _error(self.path, self.lines, (key,), str(err)) from None

    def count(self, data: dict, key: str, default: int | None, minimum: int) -> int | None:
        value = data.get(key)
        if value is None:
            return default
        try:
            return as_count(value, key, minimum=minimum)
        except (TypeError, ValueError) as err:
            raise _error(self.path, self.lines, (key,), str(err)) from None


def _refuse_repeated_keys(path: Path, node) -> None:
    """A key written twice in one mapping would silently take the last value: refuse it."""
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key, value in node.value:
            name = key.value
            if name in seen:
                raise ScenarioError(
                    f"{path}, line {key.start_mark.line + 1}: key {name!r} is written twice in "
                    f"one mapping (first on line {seen[name]}); keep one."
                )
            seen[name] = key.start_mark.line + 1
            _refuse_repeated_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_repeated_keys(path, item)


@dataclass
class ScenarioRun:
    """A scenario's simulated investments and the plan chosen."""

    result: Any
    plan: Any
    information: Any = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """``summary``, ``plan``, ``cashflows`` and (when computed) ``information`` tables.

        ``information`` has one row per investment: its EVPPI, the pilot's
        cost and value, and the overall EVPI under the plan's budget.
        """
        tables = {
            "summary": self.result.summary().reset_index(),
            "plan": self.plan.table.reset_index(),
            "cashflows": self.result.cashflows(),
        }
        if self.information is not None:
            table = self.information.per_investment.reset_index()
            table["evpi"] = self.information.evpi
            table["model_converged"] = self.information.model_converged
            tables["information"] = table
        return tables


def run_scenario(scenario: Scenario, model, *, allow_unconverged: bool = False) -> ScenarioRun:
    """Simulate a scenario on a fitted model and choose the plan.

    Everything is computed before anything is written.

    Parameters
    ----------
    scenario
        The scenario read by :func:`read_scenario`.
    model
        The fitted :class:`~exlink.models.chain.ChainModel`.
    allow_unconverged
        Simulate even when the model has not converged; the result, plan and
        tables are then marked (``model_converged`` false).

    Raises
    ------
    ConvergenceError
        The model has not converged and ``allow_unconverged`` is false.
    ScenarioError
        A field of the scenario cannot be simulated; the message names it.
    """
    from exlink.simulation.roi import simulate

    try:
        objective_weights(model.chain, scenario.objectives)
    except (ValueError, TypeError) as err:
        role = _field_named(str(err), scenario.objectives or {})
        raise scenario.error(str(err), "objectives", *([role] if role else [])) from None
    try:
        result = simulate(
            model,
            scenario.investments,
            scenario.finance,
            draws=scenario.draws,
            random_seed=scenario.seed,
            allow_unconverged=allow_unconverged,
            objectives=scenario.objectives,
        )
    except ConvergenceError:
        raise
    except (ValueError, KeyError, TypeError) as err:
        text = str(err.args[0] if isinstance(err, KeyError) and err.args else err)
        index = next(
            (i for i, inv in enumerate(scenario.investments) if f"Investment {inv.name!r}" in text),
            None,
        )
        if index is None:
            finance = dataclasses.asdict(scenario.finance)
            field = _field_named(text, finance)
            raise scenario.error(text, "finance", *([field] if field else [])) from None
        fields = {f.name: None for f in dataclasses.fields(Investment)}
        field = _field_named(text, fields)
        raise scenario.error(text, "investments", index, *([field] if field else [])) from None
    try:
        plan = prioritise(
            result,
            scenario.budget,
            scenario.objective,
            alpha=scenario.alpha,
            max_loss_probability=scenario.max_loss_probability,
            must_fund=scenario.must_fund,
            stage_limits=scenario.stage_limits,
        )
    except ValueError as err:
        text = str(err)
        if "stage_limits" in text:
            # A bound of one stage is named in the message's head; an infeasible
            # plan is about the limits together.
            head = text.split(":", 1)[0] if text.startswith("stage_limits[") else ""
            stage = _field_named(head, scenario.stage_limits or {})
            raise scenario.error(text, "stage_limits", *([stage] if stage else [])) from None
        keys = {"objective": None, "alpha": None, "max_loss_probability": None, "must_fund": None}
        raise scenario.error(text, _field_named(text, keys) or "budget") from None
    information = value_of_information(
        result,
        scenario.budget,
        pilot_costs=scenario.pilot_costs,
        must_fund=scenario.must_fund,
        stage_limits=scenario.stage_limits,
    )
    return ScenarioRun(result, plan, information)


def write_outputs(tables: dict[str, pd.DataFrame], out: str | Path) -> list[Path]:
    """Write each table as ``<name>.csv`` in ``out``; returns the files written.

    Every table is written to a temporary file first and renamed only when all
    are complete: a failure leaves the folder as it was.
    """
    out = check_output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for name, table in tables.items():
            target, temporary = out / f"{name}.csv", out / f".{name}.csv.part"
            written.append((temporary, target))
            table.to_csv(temporary, index=False)
        for temporary, target in written:
            temporary.replace(target)
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
    return [target for _, target in written]


def _lines(node, path: tuple = ()) -> dict[tuple, int]:
    """Key path -> 1-based line number of every mapping key and list item."""
    out = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out.update(_lines(value, (*path, key.value)))
            out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_lines(item, (*path, i)))
    return out


def _error(path: Path, lines: dict, where: tuple, message: str) -> ScenarioError:
    key_path = tuple(where)
    while key_path and key_path not in lines:
        key_path = key_path[:-1]
    line = lines.get(key_path)
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in where).replace(".[", "[")
    location = f"{path}" + (f", line {line}" if line else "") + (f" ({field})" if field else "")
    return ScenarioError(f"{location}: {message}")


def _refuse_unknown(path, lines, data: dict, valid, where: tuple) -> None:
    for key in data:
        if key not in valid:
            match = closest(key, valid)
            hint = f" Did you mean {match!r}?" if match else ""
            raise _error(path, lines, (*where, key), f"unknown key {key!r}.{hint}")


def _build(path, lines, kind, data: dict, where: tuple):
    try:
        return kind(**data)
    except (TypeError, ValueError) as err:
        text = str(err)
        field = _field_named(text, data)
        if field is None and "missing" in text:
            text = f"missing field: {text.split('argument: ')[-1]}" if "argument" in text else text
        raise _error(path, lines, (*where, field) if field else where, text) from None


def _field_named(text: str, data: dict) -> str | None:
    """The field an error message is about: the longest key named after its owner's prefix."""
    if text.startswith(("Investment ", "Finance:")) and ": " in text:
        text = text.split(": ", 1)[1]
    keys = sorted((k for k in data if isinstance(k, str)), key=len, reverse=True)
    return next((k for k in keys if re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text)), None)
