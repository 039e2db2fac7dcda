"""A self-contained HTML report of a fitted model and its simulated investments.

One file, figures embedded as PNG, no external resources: it opens offline
and can be forwarded as it is. Sections, in order: model health, the data, the
chain and its effects, the investments and their three objectives, the
recommended plan and frontier, the assumptions, and what the model can and
cannot tell.
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
from exlink.report_tables import readable
from exlink.simulation.information import value_of_information
from exlink.simulation.portfolio import UNCONVERGED_NOTE, Plan, efficient_frontier

if TYPE_CHECKING:
    from exlink.checks import CheckReport
    from exlink.models.chain import ChainModel
    from exlink.simulation.roi import RoiResult

SECTIONS = (
    "health",
    "data",
    "chain",
    "investments",
    "plan",
    "assumptions",
    "checks",
    "caveats",
)

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0}
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}img{max-width:100%;margin:.6rem 0}
.verdict{padding:.6rem 1rem;border-radius:6px;font-weight:600}
.good{background:#e6f4ea;color:#1e6b34}.bad{background:#fdecea;color:#8a1c1c}
.muted{color:#666;font-size:.85rem}.wide{overflow-x:auto}
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
        the plan section says none was chosen when omitted.
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

    def _figure(fig: Figure, name: str) -> str:
        return _embed(fig, None if figure_dir is None else figure_dir / f"{name}.png")

    health = model.diagnostics()
    effects = model.effects()
    summary = result.summary()
    currency = result.finance.currency
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='muted'>exlink {__version__}; {len(result.names)} investments over "
        f"{result.finance.horizon} periods; {result.npv().sizes['sample']} posterior samples.</p>",
    ]
    if not result.model_converged:
        parts.append(
            f"<p class='verdict bad' id='unconverged'>{html.escape(UNCONVERGED_NOTE)} Every money "
            "figure below was computed with allow_unconverged; see Model health.</p>"
        )

    verdict = "good" if health.converged else "bad"
    parts += _section(
        "health",
        "Model health",
        [
            f"<p class='verdict {verdict}'>{html.escape(health.headline())}</p>",
            _identification(health),
            "<p class='muted'>The worst element of each sampled quantity, worst first.</p>",
            _table(health.by_group().head(12), index=False),
            *_reliability(model),
            *_measurement(model),
        ],
    )

    panel = model.panel
    parts += _section(
        "data",
        "The data",
        [
            f"<pre>{html.escape(repr(panel))}</pre>",
            "<h3>Stages and interventions</h3>",
            _table(panel.describe()),
            "<h3>Rollouts</h3>",
            _table(panel.rollout()),
        ],
    )

    note = _link_verdicts(effects)
    broken = effects[(effects["kind"] == "link") & (effects["verdict"] != "effect")]
    parts += _section(
        "chain",
        "The chain and its effects",
        [
            _figure(plotting.chain_diagram(model.chain, effects), "chain_diagram"),
            note,
            _figure(plotting.effects_forest(effects), "effects_forest"),
            _table(effects, index=False),
        ],
    )

    best = summary["npv_mean"].idxmax()
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
    parts += _section(
        "investments",
        "Investments and the three objectives",
        [
            "<p>Baseline: the status quo. Every figure is the difference an investment "
            "makes against the business going on as the data leave it: historical "
            "rollouts continue at their last level, still ramping or fading. A unit "
            "already fully treated gains nothing from more of the same intervention.</p>",
            "<p>Customer and staff objectives: change at the horizon per targeted unit "
            f"({html.escape(definitions)}); staff also leavers avoided. Cost efficiency: "
            f"net present value ({html.escape(result.finance.currency)}), discounted to the "
            "first simulated period.</p>",
            _table(objectives, currency=currency),
            _figure(plotting.npv_ranking(result), "npv_ranking"),
            _figure(plotting.npv_distribution(result), "npv_distribution"),
            _figure(plotting.cashflow_fan(result, best), "cashflow_fan"),
        ],
    )

    if plan is None:
        plan_html = ["<p>No plan was chosen: call prioritise() with a budget.</p>"]
    else:
        budgets = sorted({plan.budget * f for f in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)})
        frontier = efficient_frontier(result, budgets, plan.objective)
        information = value_of_information(result, plan.budget)
        plan_html = [
            "<p>A plan is valued by simulating its investments together on the same "
            "posterior samples, against the status quo. Where they reach the same units, "
            "act through a curved link or raise the same intervention, that is not the sum "
            "of their separate values, and the plan is chosen on the joint values.</p>",
            f"<pre>{html.escape(repr(plan))}</pre>",
            _table(plan.table, currency=currency),
            _figure(plotting.frontier(frontier), "frontier"),
            _table(frontier, index=False, currency=currency),
            "<p>Value of information, under the same budget. EVPI is how much more the "
            "best plan would be worth, on average, if every uncertain quantity were known "
            "before deciding: no pilot or study can be worth more. An investment's EVPPI "
            "is what learning its return alone would be worth; a pilot pays when its "
            "EVPPI exceeds its cost.</p>",
            f"<pre>{html.escape(repr(information))}</pre>",
            _table(
                information.per_investment[["evppi", "expected_npv", "cost"]], currency=currency
            ),
        ]
    parts += _section("plan", "Recommended plan", plan_html)

    finance = pd.DataFrame(
        {
            "value": [
                readable(pd.DataFrame({f.name: [getattr(result.finance, f.name)]}), currency).iloc[
                    0, 0
                ]
                for f in dataclasses.fields(result.finance)
            ]
        },
        index=pd.Index([f.name for f in dataclasses.fields(result.finance)], name="assumption"),
    )
    investments = pd.DataFrame(
        [
            {f.name: getattr(inv, f.name) for f in dataclasses.fields(inv)}
            for inv in result.investments
        ]
    )
    parts += _section(
        "assumptions",
        "Assumptions",
        [
            "<h3>Finance</h3>",
            _table(finance),
            "<h3>Investments</h3>",
            _table(investments, index=False, currency=currency),
        ],
    )

    parts += _section("checks", "Causal checks", _checks(checks, _figure))
    parts += _section(
        "caveats", "What the model can and cannot tell", [_caveats(health, broken, checks)]
    )
    document = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, document)
    return path


def _section(anchor: str, heading: str, body: list[str]) -> list[str]:
    return [f"<section id='{anchor}'><h2>{html.escape(heading)}</h2>", *body, "</section>"]


def _embed(fig: Figure, file: Path | None = None) -> str:
    """The figure as an inline PNG image; also saved to ``file`` when given."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    if file is not None:
        fig.savefig(file, dpi=120, bbox_inches="tight")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='figure' src='data:image/png;base64,{encoded}'>"


def _table(frame: pd.DataFrame, index: bool = True, currency: str = "") -> str:
    """A table for people (:func:`~exlink.report_tables.readable`): money in ``currency``."""
    table = readable(frame, currency).to_html(index=index, border=0)
    return f"<div class='wide'>{table}</div>"


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


def _reliability(model: ChainModel) -> list[str]:
    table = model.reliability()
    if not len(table):
        return []
    return [
        "<h3>Survey stages</h3><p class='muted'>Reliability: the share of each survey stage's "
        "movement within units that is signal, not sampling error; responses_needed: "
        "responses per value for a reliability of 0.8; true_values: integrated out exactly, "
        "sampled, or (a stage that feeds no link) in its likelihood.</p>",
        _table(table.round(3)),
    ]


def _measurement(model: ChainModel) -> list[str]:
    if not model.chain.constructs:
        return []
    measurement = model.measurement()
    items = measurement.items[
        ["loading", "loading_lower", "loading_upper", "item_sd", "std_loading", "weak"]
    ]
    constructs = measurement.constructs[["items", "omega", "omega_lower", "omega_upper", "ave"]]
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in measurement.warnings)
    return [
        "<h3>Constructs and their items</h3><p class='muted'>Loadings on the items' own "
        "scales (the first item of each construct is its marker, at 1) with 90% intervals; "
        "std_loading: the item's correlation with its construct; omega: composite "
        "reliability; ave: average variance extracted.</p>",
        _table(items.round(3)),
        _table(constructs.round(3)),
        f"<p>Item covariance check: {html.escape(measurement.fit.sentence())}.</p>"
        if measurement.fit is not None
        else "",
        f"<ul class='warnings'>{warnings}</ul>" if warnings else "",
    ]


def _identification(health) -> str:
    if not health.identification:
        return "<p>No identification warnings: every effect is informed by the data.</p>"
    items = "".join(f"<li>{html.escape(w)}</li>" for w in health.identification)
    return f"<p class='verdict bad'>Identification warnings:</p><ul>{items}</ul>"


def _checks(checks: CheckReport | None, figure) -> list[str]:
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
    body.append(_table(checks.verdicts(), index=False))
    for name, result in checks.results.items():
        body.append(figure(plotting.check_figure(result), f"check_{name}"))
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
