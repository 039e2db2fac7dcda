"""Scenario files: a saved model, investments, finance assumptions and a budget, in YAML.

Example::

    model: model.nc                 # relative to this file
    draws: 1000                     # posterior samples to use (optional)
    seed: 1                         # for new investments' effects (optional)
    budget: 600000
    objective: expected_npv         # or cvar (optional)
    max_loss_probability: 0.1       # optional
    must_fund: [coaching_rollout]   # optional
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from exlink._names import closest
from exlink.simulate.investments import Finance, Investment

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

    Raises
    ------
    ScenarioError
        Naming the file, the line and the field of the first mistake.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file.")
    text = path.read_text()
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or " ".join(str(err).split())
        raise ScenarioError(f"{path}{where}: not valid YAML: {problem}.") from None
    lines = _lines(root) if root is not None else {}
    if not isinstance(data, dict):
        raise _error(
            path,
            lines,
            (),
            "a scenario must be a mapping of keys such as budget, finance, investments.",
        )
    _refuse_unknown(path, lines, data, SCENARIO_KEYS, ())
    for key in REQUIRED:
        if key not in data:
            raise _error(path, lines, (), f"missing required key {key!r}.")
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
        if isinstance(item.get("effect"), dict):
            item = item | {
                "effect": {
                    k: tuple(v) if isinstance(v, list) else v for k, v in item["effect"].items()
                }
            }
        investments.append(_build(path, lines, Investment, item, ("investments", i)))
    names = [inv.name for inv in investments]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise _error(
                path, lines, ("investments", i, "name"), f"investment name {name!r} repeats."
            )
    budget = data["budget"]
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget < 0:
        raise _error(
            path, lines, ("budget",), f"budget must be a non-negative amount, got {budget!r}."
        )
    must_fund = tuple(data.get("must_fund") or ())
    for name in must_fund:
        if name not in names:
            raise _error(
                path,
                lines,
                ("must_fund",),
                f"must_fund names {name!r}, which is not an investment.",
            )
    model = data.get("model")
    return Scenario(
        path=path,
        model=(path.parent / model) if model else None,
        investments=investments,
        finance=finance,
        budget=float(budget),
        objective=data.get("objective", "expected_npv"),
        max_loss_probability=data.get("max_loss_probability"),
        must_fund=must_fund,
        alpha=data.get("alpha", 0.05),
        draws=data.get("draws", 1000),
        seed=data.get("seed"),
        lines=lines,
    )


@dataclass
class ScenarioRun:
    """A scenario's simulated investments and the plan chosen."""

    result: Any
    plan: Any

    def tables(self) -> dict[str, pd.DataFrame]:
        """``summary``, ``plan`` and ``cashflows`` tables."""
        return {
            "summary": self.result.summary().reset_index(),
            "plan": self.plan.table.reset_index(),
            "cashflows": self.result.cashflows(),
        }


def run_scenario(scenario: Scenario, model) -> ScenarioRun:
    """Simulate a scenario on a fitted model and choose the plan.

    Everything is computed before anything is written.
    """
    from exlink.simulate.portfolio import prioritise
    from exlink.simulate.roi import simulate

    try:
        result = simulate(
            model,
            scenario.investments,
            scenario.finance,
            draws=scenario.draws,
            random_seed=scenario.seed,
        )
    except (ValueError, KeyError) as err:
        text = str(err).strip("'\"")
        index = next(
            (i for i, inv in enumerate(scenario.investments) if f"Investment {inv.name!r}" in text),
            None,
        )
        if index is None:
            raise scenario.error(text, "finance") from None
        field = next(
            (
                key
                for word, key in (
                    ("effect on", "effect"),
                    ("unit", "units"),
                    ("intervention", "intervention"),
                )
                if word in text
            ),
            None,
        )
        raise scenario.error(text, "investments", index, *([field] if field else [])) from None
    try:
        plan = prioritise(
            result,
            scenario.budget,
            scenario.objective,
            alpha=scenario.alpha,
            max_loss_probability=scenario.max_loss_probability,
            must_fund=scenario.must_fund,
        )
    except ValueError as err:
        key = "objective" if "objective" in str(err) else "budget"
        raise scenario.error(str(err), key) from None
    return ScenarioRun(result, plan)


def write_outputs(tables: dict[str, pd.DataFrame], out: str | Path) -> list[Path]:
    """Write each table as ``<name>.csv`` in ``out``; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        target = out / f"{name}.csv"
        temporary = out / f".{name}.csv.part"
        table.to_csv(temporary, index=False)
        written.append((temporary, target))
    for temporary, target in written:
        temporary.replace(target)
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
        field = next((key for key in data if key in text), None)
        if field is None and "missing" in text:
            text = f"missing field: {text.split('argument: ')[-1]}" if "argument" in text else text
        raise _error(path, lines, (*where, field) if field else where, text) from None
