"""Page one of the report: the decision, in plain sentences with numbers.

What to fund and what it costs against the budget; its expected NPV with a
90% interval and the chance of losing money; when it pays back; what it does
to customers and staff; and the one or two caveats that matter most
(convergence, failed or missing checks, identification, links the data say
little about). Every money figure states its baseline (the status quo), its
currency and its discounting, from the plan's joint simulation
(:meth:`~exlink.simulation.roi_result.RoiResult.portfolio_summary`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from exlink.report_tables import money, percent

if TYPE_CHECKING:
    from exlink.checks import CheckReport
    from exlink.models.diagnostics import Diagnostics
    from exlink.simulation.portfolio import Plan
    from exlink.simulation.roi import RoiResult

MAX_CAVEATS = 2
"""Caveats on page one; the rest are in the report's last section."""

_PERIOD_WORDS = {"month": "month", "quarter": "quarter"}
_ROLE_WORDS = {"cx": "Customers (experience)", "customer": "Customers", "ex": "Staff"}


def decision_section(
    result: RoiResult,
    plan: Plan | None,
    health: Diagnostics,
    effects: pd.DataFrame,
    checks: CheckReport | None,
    frequency: str = "integer",
) -> list[str]:
    """The decision's HTML: the plan in sentences, its facts, and the caveats that matter most.

    Parameters
    ----------
    result
        Simulated investments.
    plan
        The recommended plan; without one, the best single investment is
        described and the reader is told how to choose a plan.
    health
        The model's diagnostics.
    effects
        The model's effects table (for links the data say little about).
    checks
        The falsification checks, or ``None`` when they were not run.
    frequency
        The panel's period frequency (``"month"``, ``"quarter"`` or
        ``"integer"``), to name the payback's period.
    """
    currency = result.finance.currency
    period = _PERIOD_WORDS.get(frequency, "period")
    if plan is None:
        summary = result.summary()
        best = str(summary["npv_mean"].idxmax())
        names = [best]
        lead = (
            "No plan was chosen (call prioritise() with a budget). Of the candidates, "
            f"<strong>{html.escape(best)}</strong> has the highest expected NPV."
        )
    else:
        names = list(plan.selected)
        lead = _plan_sentence(plan, currency)
    facts = result.portfolio_summary(names)
    body = [f"<p class='lead' id='decision-plan'>{lead}</p>"]
    if names:
        body.append("<ul class='facts'>" + "".join(_facts(facts, result, period)) + "</ul>")
    caveats = caveats_that_matter(health, effects, checks, plan)
    body += [
        "<h3>What to keep in mind</h3>",
        "<ul class='caveats'>" + "".join(f"<li>{html.escape(c)}</li>" for c in caveats) + "</ul>",
        "<p class='muted'>The evidence follows: the plan and the budget, each investment, "
        "the chain and its effects, the data, the model's health, the checks and the "
        "assumptions.</p>",
    ]
    return body


def _plan_sentence(plan: Plan, currency: str) -> str:
    budget = html.escape(money(plan.budget, currency))
    if not plan.selected:
        return (
            f"<strong>Fund nothing</strong> under the budget of {budget}: no affordable "
            "combination of the candidates is expected to beat the status quo"
            + (" on the chosen objective (CVaR)." if plan.objective == "cvar" else ".")
        )
    if len(plan.selected) > 1:
        funded = (
            ", ".join(html.escape(n) for n in plan.selected[:-1])
            + " and "
            + html.escape(plan.selected[-1])
        )
    else:
        funded = html.escape(plan.selected[0])
    objective = (
        "the highest expected NPV"
        if plan.objective == "expected_npv"
        else "the best NPV in its worst cases (CVaR)"
    )
    return (
        f"<strong>Fund {funded}</strong>: {html.escape(money(plan.cost, currency))} of the "
        f"{budget} budget, the affordable plan with {objective}."
    )


def _facts(facts: pd.Series, result: RoiResult, period: str) -> list[str]:
    currency = result.finance.currency
    finance = result.finance
    rate = f"{finance.discount_rate:.1%}".replace(".0%", "%")
    items = [
        f"Expected NPV <strong>{html.escape(money(facts['npv_mean'], currency))}</strong> "
        f"(90% interval {html.escape(money(facts['npv_p05'], currency))} to "
        f"{html.escape(money(facts['npv_p95'], currency))}), against the status quo, "
        f"over {finance.horizon} {period}s, discounted at {rate} a year to the first "
        f"simulated {period}.",
        f"Chance of losing money: <strong>{percent(facts['p_loss'])}</strong>.",
    ]
    if np.isnan(facts["payback"]):
        items.append(
            f"Payback: not within the {finance.horizon}-{period} horizon on expected "
            "discounted cash flows."
        )
    else:
        items.append(
            f"Payback: in {period} {int(facts['payback']) + 1} of {finance.horizon}, when the "
            "expected discounted cumulative cash flow turns positive."
        )
    units = result.n_units
    over = f"averaged over all {units} units" if units else "averaged over the panel's units"
    definitions = result.summary().attrs.get("objectives", {})
    for role, words in _ROLE_WORDS.items():
        column = f"{role}_change"
        if column in facts.index:
            definition = definitions.get(column, column)
            items.append(
                f"{words}: {facts[column]:+.3g} ({html.escape(definition)}, at the horizon, "
                f"{over})."
            )
    items.append(
        "Cost efficiency: the NPV above, per "
        f"{html.escape(money(facts['cost'], currency))} spent (undiscounted)."
    )
    return [f"<li>{item}</li>" for item in items]


def caveats_that_matter(
    health: Diagnostics,
    effects: pd.DataFrame,
    checks: CheckReport | None,
    plan: Plan | None = None,
    limit: int = MAX_CAVEATS,
) -> list[str]:
    """The caveats that matter most for the decision, most serious first, at most ``limit``.

    In order: the sampler did not converge; a falsification check failed;
    an effect is weakly identified; the checks were not run; links the data
    say too little about; a plan chosen on pairwise interactions only. When
    none applies, one sentence says so.
    """
    found = []
    if not health.converged:
        headline = health.headline().rstrip(". ")
        found.append(f"{headline}. Do not act on these numbers until it converges.")
    if checks is not None and not checks.passed:
        failed = checks.verdicts()
        failed = failed[failed["status"] == "failed"]
        named = "; ".join(f"{r.check} on {r.subject}" for r in failed.itertuples())
        found.append(
            f"Falsification checks failed ({named}): the effects concerned may be "
            "pre-trends, reverse causation or common causes, not the investments' doing."
        )
    if health.identification:
        found.append(
            f"{len(health.identification)} identification warning(s), first: "
            f"{health.identification[0]}"
        )
    if checks is None:
        found.append(
            "The falsification checks (event study, placebos, reverse direction) were not "
            "run: the effects are read as causal without that test."
        )
    links = effects[(effects["kind"] == "link") & (effects["verdict"] != "effect")]
    if len(links):
        named = ", ".join(f"{r.source} -> {r.target}" for r in links.itertuples())
        found.append(
            f"The data say little about {named}: value that runs through "
            f"{'it' if len(links) == 1 else 'them'} is uncertain, and the NPV interval "
            "carries that."
        )
    if plan is not None and not plan.exact:
        found.append(
            "Too many investments interact to value every combination: the plan may miss "
            "a better one where three or more interact at once."
        )
    if not found:
        found.append(
            "Nothing stands out: the model converged, every effect is informed by the data"
            + (", and every falsification check passed." if checks is not None else ".")
        )
    return found[:limit]
