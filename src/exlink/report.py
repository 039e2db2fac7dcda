"""A self-contained HTML report of a fitted model and its simulated investments.

One file, figures embedded as PNG, no external resources: it opens offline
and can be forwarded as it is. Page one is the decision
(:mod:`exlink.report_decision`); the evidence follows, in order: the plan, the
budget explorer (:mod:`exlink.report_explorer`) and the frontier; each
investment and its three objectives; the chain and its effects; the data; the
model's health; the causal checks; the assumptions; and what the model can and
cannot tell. A print style sheet lays it out for paper
(:func:`exlink.report_pdf.write_pdf`).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from exlink import plotting
from exlink._paths import check_output_file, write_text_atomically
from exlink._version import __version__
from exlink.report_decision import decision_section
from exlink.report_explorer import explorer_html, explorer_steps, steps_table
from exlink.report_model import data_section, health_section
from exlink.report_tables import html_table, readable
from exlink.simulation.information import value_of_information
from exlink.simulation.portfolio import UNCONVERGED_NOTE, Plan, efficient_frontier

if TYPE_CHECKING:
    from exlink.checks import CheckReport
    from exlink.models.chain import ChainModel
    from exlink.simulation.roi import RoiResult

SECTIONS = (
    "decision",
    "plan",
    "investments",
    "chain",
    "data",
    "health",
    "checks",
    "assumptions",
    "caveats",
)

PAGE_WIDTH_PX = 1060
"""Figures are embedded no wider than this, so their text is not scaled down."""

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}img{max-width:100%;margin:.6rem 0}
.verdict{padding:.6rem 1rem;border-radius:6px;font-weight:600}
.good{background:#e6f4ea;color:#1e6b34}.bad{background:#fdecea;color:#8a1c1c}
.muted{color:#555;font-size:.85rem}.wide{overflow-x:auto}pre{white-space:pre-wrap}
.lead{font-size:1.25rem}.facts li,.caveats li{margin:.2rem 0}
#decision{background:#f7f9fc;border:1px solid #dde3ea;border-radius:8px;padding:0 1.2rem 1rem}
.explorer{border:1px solid #dde3ea;border-radius:8px;padding:0 1rem 1rem;margin:1rem 0}
.controls{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}
.controls input[type=range]{flex:1;min-width:240px}.controls input[type=number]{width:10rem}
#explorer-plan{font-size:1.1rem;font-weight:600}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}
.explorer,noscript{display:none}.wide{overflow:visible}table{font-size:7.5pt}
h2{break-after:avoid}img,table,.verdict{break-inside:avoid}
section#decision{break-after:page}}
"""


def write_html(
    model: ChainModel,
    result: RoiResult,
    path: str | Path,
    plan: Plan | None = None,
    *,
    title: str = "exlink report",
    figures: str | Path | None = None,
    checks: CheckReport | None = None,
) -> Path:
    """Write the report to ``path``.

    Parameters
    ----------
    model
        The fitted model.
    result
        Simulated investments (:func:`~exlink.simulation.roi.simulate`).
    path
        The HTML file to write.
    plan
        The recommended plan (:func:`~exlink.simulation.portfolio.prioritise`);
        page one then states it, and the plan section holds the budget
        explorer. Without one, page one describes the best single investment
        and the plan section says none was chosen.
    title
        The report's title.
    figures
        A folder to also save every figure in as a PNG file, named after it
        (``chain_diagram.png``, ``frontier.png``, ...); none when omitted.
    checks
        Falsification checks (:func:`~exlink.checks.check_all`), shown with
        their verdicts and figures in a section of their own; the section
        says they were not run when omitted. Identification warnings of
        :meth:`~exlink.models.chain.ChainModel.diagnostics` are always shown.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = check_output_file(path)
    figure_dir = Path(figures) if figures is not None else None
    if figure_dir is not None:
        figure_dir.mkdir(parents=True, exist_ok=True)

    def figure(fig: Figure, name: str, alt: str) -> str:
        return _embed(fig, alt, None if figure_dir is None else figure_dir / f"{name}.png")

    health = model.diagnostics()
    effects = model.effects(standardised=True)
    currency = result.finance.currency
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='muted'>exlink {__version__}; {len(result.names)} investments over "
        f"{result.finance.horizon} periods; {result.npv().sizes['sample']} posterior samples; "
        f"money in {html.escape(currency)} against the status quo.</p>",
    ]
    if not result.model_converged:
        parts.append(
            f"<p class='verdict bad' id='unconverged'>{html.escape(UNCONVERGED_NOTE)} Every money "
            "figure below was computed with allow_unconverged; see Model health.</p>"
        )
    decision = decision_section(
        result, plan, health, effects, checks, getattr(model.panel, "frequency", "integer")
    )
    parts += _section("decision", "The decision", decision)
    parts += _section("plan", "The plan and the budget", _plan(result, plan, figure))
    parts += _section(
        "investments", "Investments and the three objectives", _investments(result, figure)
    )
    parts += _section("chain", "The chain and its effects", _chain(model, effects, figure))
    parts += _section("data", "The data", data_section(model))
    parts += _section("health", "Model health", health_section(model, health))
    parts += _section("checks", "Causal checks", _checks(checks, figure))
    parts += _section("assumptions", "Assumptions", _assumptions(result))
    broken = effects[(effects["kind"] == "link") & (effects["verdict"] != "effect")]
    parts += _section(
        "caveats", "What the model can and cannot tell", [_caveats(health, broken, checks)]
    )
    document = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, document)
    return path


def _plan(result: RoiResult, plan: Plan | None, figure) -> list[str]:
    if plan is None:
        return ["<p>No plan was chosen: call prioritise() with a budget.</p>"]
    currency = result.finance.currency
    steps = explorer_steps(result, plan)
    budgets = sorted({plan.budget * f for f in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)})
    frontier = efficient_frontier(result, budgets, plan.objective, **plan.constraints)
    information = value_of_information(result, plan.budget)
    cheapest = float(result.total_cost().min())
    return [
        "<p>A plan is valued by simulating its investments together on the same "
        "posterior samples, against the status quo. Where they reach the same units, "
        "act through a curved link or raise the same intervention, that is not the sum "
        "of their separate values, and the plan is chosen on the joint values.</p>",
        f"<pre>{html.escape(repr(plan))}</pre>",
        html_table(plan.table, currency=currency),
        explorer_html(steps, plan.budget, currency, cheapest),
        "<noscript><p>With scripts on, a budget explorer shows the best plan at any "
        "budget; the table below holds the same answers.</p></noscript>",
        "<h3>The best plan at every budget</h3>",
        "<p class='muted'>The best plan changes only where the budget crosses the cost of a "
        "plan: each row is the best plan for budgets from budget_from up to, not including, "
        "budget_below (the first row: any larger budget). Below the last row's budget_from "
        "nothing can be funded. NPV against the status quo; p05 and p95 bound its 90% "
        "interval.</p>",
        html_table(steps_table(steps), index=False, currency=currency),
        "<h3>Frontier</h3>",
        figure(
            plotting.frontier(frontier),
            "frontier",
            "Expected NPV and probability of loss of the best plan at budgets from a quarter "
            "to twice the plan's budget.",
        ),
        html_table(frontier, index=False, currency=currency),
        "<h3>Value of information</h3>",
        "<p>Under the same budget. EVPI is how much more the "
        "best plan would be worth, on average, if every uncertain quantity were known "
        "before deciding: no pilot or study can be worth more. An investment's EVPPI "
        "is what learning its return alone would be worth; a pilot pays when its "
        "EVPPI exceeds its cost.</p>",
        f"<pre>{html.escape(repr(information))}</pre>",
        html_table(
            information.per_investment[["evppi", "expected_npv", "cost"]], currency=currency
        ),
    ]


def _investments(result: RoiResult, figure) -> list[str]:
    summary = result.summary()
    best = str(summary["npv_mean"].idxmax())
    objectives = summary[
        [
            "npv_mean",
            "npv_p05",
            "npv_p95",
            "p_loss",
            "cvar_05",
            "roi",
            "payback",
            "cost",
            "cx_change",
            "customer_change",
            "ex_change",
            "leavers_avoided",
        ]
    ]
    definitions = "; ".join(
        f"{column}: {words}" for column, words in summary.attrs["objectives"].items()
    )
    currency = result.finance.currency
    return [
        "<p>Baseline: the status quo. Every figure is the difference an investment "
        "makes against the business going on as the data leave it: historical "
        "rollouts continue at their last level, still ramping or fading. A unit "
        "already fully treated gains nothing from more of the same intervention.</p>",
        "<p>Customer and staff objectives: change at the horizon per targeted unit "
        f"({html.escape(definitions)}); staff also leavers avoided. Cost efficiency: "
        f"net present value ({html.escape(currency)}), discounted to the "
        "first simulated period.</p>",
        html_table(objectives, currency=currency),
        figure(
            plotting.npv_ranking(result),
            "npv_ranking",
            "Investments ranked by expected NPV, with 90% intervals.",
        ),
        figure(
            plotting.npv_distribution(result),
            "npv_distribution",
            "Distribution of each investment's NPV over the posterior samples.",
        ),
        figure(
            plotting.cashflow_fan(result, best),
            "cashflow_fan",
            f"Cumulative discounted cash flow of {best}, the investment with the highest "
            "expected NPV, with its bands, period by period.",
        ),
    ]


def _chain(model: ChainModel, effects: pd.DataFrame, figure) -> list[str]:
    return [
        figure(
            plotting.chain_diagram(model.chain, effects),
            "chain_diagram",
            "The chain: interventions on the left feeding employee, customer-experience, "
            "customer and financial stages; edges labelled with standardised effects, "
            "dashed where no effect of practical size is shown.",
        ),
        _link_verdicts(effects),
        figure(
            plotting.effects_forest(effects),
            "effects_forest",
            "Every link and intervention effect on one standardised scale, with its 90% interval.",
        ),
        "<p class='muted'>Standardised effects (std_mean, std_lower, std_upper): a link in "
        "standard deviations of its target per standard deviation of its source; an "
        "intervention in standard deviations of its target. mean, lower and upper are in "
        "the stages' own units.</p>",
        html_table(effects, index=False),
    ]


def _assumptions(result: RoiResult) -> list[str]:
    currency = result.finance.currency
    fields = dataclasses.fields(result.finance)
    finance = pd.DataFrame(
        {
            "value": [
                readable(pd.DataFrame({f.name: [getattr(result.finance, f.name)]}), currency).iloc[
                    0, 0
                ]
                for f in fields
            ]
        },
        index=pd.Index([f.name for f in fields], name="assumption"),
    )
    investments = pd.DataFrame(
        [
            {f.name: getattr(inv, f.name) for f in dataclasses.fields(inv)}
            for inv in result.investments
        ]
    )
    return [
        "<h3>Finance</h3>",
        html_table(finance),
        "<h3>Investments</h3>",
        html_table(investments, index=False, currency=currency),
    ]


def _section(anchor: str, heading: str, body: list[str]) -> list[str]:
    return [f"<section id='{anchor}'><h2>{html.escape(heading)}</h2>", *body, "</section>"]


def _embed(fig: Figure, alt: str, file: Path | None = None) -> str:
    """The figure as an inline PNG image described by ``alt``; also saved to ``file``.

    Embedded at a resolution that fits the page without scaling, so its text
    reads at the size it was drawn.
    """
    width = fig.get_size_inches()[0]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=min(100.0, PAGE_WIDTH_PX / width), bbox_inches="tight")
    if file is not None:
        fig.savefig(file, dpi=120, bbox_inches="tight")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='{html.escape(alt, quote=True)}' src='data:image/png;base64,{encoded}'>"


def _link_verdicts(effects: pd.DataFrame) -> str:
    """Which links are breaks and which the data say little about, in words."""
    links = effects[effects["kind"] == "link"]

    def names(verdict: str) -> str:
        rows = links[links["verdict"] == verdict]
        return ", ".join(html.escape(f"{r.source} -> {r.target}") for r in rows.itertuples())

    parts = []
    if names("break"):
        parts.append(
            "Breaks in the chain (the data rule out an effect of practical size): "
            f"{names('break')}."
        )
    if names("unclear"):
        parts.append(f"Links the data say too little about: {names('unclear')}.")
    if not parts:
        parts.append("Every link has an effect of practical size.")
    return (
        "<p>"
        + " ".join(parts)
        + " <span class='muted'>Practical size: the region of practical equivalence in the "
        "effects table's <code>rope</code> column (by default, a one-SD change of the source "
        "moving the target by a tenth of its SD).</span></p>"
    )


def _checks(checks: CheckReport | None, figure) -> list[str]:
    """The checks' verdicts, table and figures; or how to run them."""
    if checks is None:
        return [
            "<p>The falsification checks were not run: run exlink.checks.check_all(model) "
            "(event study, placebos in time and space, reverse direction, prior sensitivity) "
            "and pass the "
            "result as write_html(..., checks=...).</p>"
        ]
    verdict = "good" if checks.passed else "bad"
    verdicts = checks.verdicts()
    failed = verdicts[verdicts["status"] == "failed"]
    headline = (
        "Every check passed: the data show no sign against the causal reading."
        if checks.passed
        else f"{len(failed)} check(s) FAILED: "
        + "; ".join(f"{r.check} on {r.subject}" for r in failed.itertuples())
        + ". The effects concerned are not causal estimates; do not fund on them alone."
    )
    body = [f"<p class='verdict {verdict}'>{html.escape(headline)}</p>"]
    body.append(html_table(checks.verdicts(), index=False))
    for name, result in checks.results.items():
        state = "passed" if result.passed else "failed"
        body.append(
            figure(
                plotting.check_figure(result),
                f"check_{name}",
                f"The {name.replace('_', ' ')} check ({state}): its estimates with intervals.",
            )
        )
    return body


def _caveats(health, broken: pd.DataFrame, checks: CheckReport | None = None) -> str:
    items = [
        "The effects are estimated from how units changed over time as interventions reached "
        "them. Anything that moved at the same time in the same units (a new manager, a local "
        "campaign) and is not in the data can be mistaken for an intervention's effect.",
        "Links are associations between measured stages over time, given unit and period "
        "effects. Reverse causation (happy customers making happy staff) is not ruled out by "
        "the model itself.",
        "Returns assume the future behaves like the observed periods: effects, adoption, "
        "fade and the finance assumptions listed above. The sensitivity of NPV to those "
        "assumptions is worth a look before committing money.",
        "Intervals are the model's uncertainty given its assumptions; they do not include the "
        "risk that the model's structure (the chain) is wrong.",
    ]
    if not health.converged:
        items.insert(0, "The sampler did not converge: do not act on these numbers until it does.")
    if checks is not None and not checks.passed:
        items.insert(
            0,
            "Some falsification checks failed (see Causal checks): the effects they name may be "
            "pre-trends, reverse causation or common causes, not the interventions' doing.",
        )
    if health.identification:
        items.append(
            "Some effects are weakly identified (see Model health): they lean on the prior or on "
            "a few units."
        )
    if len(broken):
        items.append(
            "Some links are breaks or unclear (see The chain and its effects): investments "
            "whose value runs through them carry that uncertainty in their NPV intervals."
        )
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"
