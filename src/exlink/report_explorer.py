"""The report's budget explorer: the best plan at any budget, in the page itself.

The best plan is a step function of the budget
(:func:`~exlink.simulation.portfolio.budget_steps`), so the page embeds every
step (its plan, cost, expected NPV, 90% interval, probability of loss and a
histogram of its NPV over the posterior samples) and a short inline script
shows the step for the budget set with a slider or typed in. Nothing is
fetched: the file works offline. Without scripts the explorer stays hidden
and the static table of the same steps, always in the page, says the same.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from exlink.simulation.portfolio import budget_steps

if TYPE_CHECKING:
    from exlink.simulation.portfolio import Plan
    from exlink.simulation.roi import RoiResult

HISTOGRAM_BINS = 30
"""Bins of each step's NPV histogram."""

LOSS_COLOUR = "#D55E00"
GAIN_COLOUR = "#0072B2"
"""Okabe-Ito vermillion and blue: told apart with any common colour vision."""


def explorer_steps(result: RoiResult, plan: Plan) -> list[dict]:
    """Every budget step under the plan's objective and constraints, as plain data.

    Each step: ``selected`` (names), ``cost`` (the least budget at which the
    plan is the best), ``budget`` (the most), ``npv_mean``, ``npv_p05``,
    ``npv_p95``, ``p_loss`` and ``histogram`` (``edges`` and ``counts`` of the
    plan's NPV over the posterior samples).
    """
    steps = []
    for step in budget_steps(result, plan.objective, **plan.constraints):
        draws = result.portfolio_npv(step.selected).values
        counts, edges = np.histogram(draws, bins=HISTOGRAM_BINS)
        steps.append(
            {
                "selected": list(step.selected),
                "cost": step.cost,
                "budget": step.budget,
                "npv_mean": float(draws.mean()),
                "npv_p05": float(np.quantile(draws, 0.05)),
                "npv_p95": float(np.quantile(draws, 0.95)),
                "p_loss": float((draws < 0).mean()),
                "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
            }
        )
    return steps


def steps_table(steps: list[dict]) -> pd.DataFrame:
    """The steps as a table, one row per plan.

    Each plan is the best from ``budget_from`` up to, not including,
    ``budget_below`` (the first: any larger budget).
    """
    rows = []
    for i, step in enumerate(steps):
        rows.append(
            {
                "budget_from": step["cost"],
                "budget_below": steps[i - 1]["cost"] if i else np.nan,
                "plan": " + ".join(step["selected"]) or "nothing",
                "expected_npv": step["npv_mean"],
                "npv_p05": step["npv_p05"],
                "npv_p95": step["npv_p95"],
                "p_loss": step["p_loss"],
            }
        )
    return pd.DataFrame(rows)


def explorer_html(steps: list[dict], budget: float, currency: str, cheapest: float) -> str:
    """The explorer's markup, data and script, hidden until the script runs.

    Parameters
    ----------
    steps
        :func:`explorer_steps`.
    budget
        The budget it opens at (the plan's).
    currency
        The money unit shown.
    cheapest
        The cheapest investment's cost: below it nothing can be funded.
    """
    top = max([budget, cheapest, *(s["cost"] for s in steps)]) * 1.25
    step = _slider_step(top)
    data = {"steps": steps, "currency": currency, "cheapest": cheapest}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    currency = html.escape(currency)
    return f"""
<div id='explorer' class='explorer' hidden>
<h3>Budget explorer</h3>
<p class='muted'>Set a budget: the page shows the best plan at that budget under the same
objective and constraints, the distribution of its NPV over the posterior samples and its
chance of losing money, against the status quo in {currency}.</p>
<div class='controls'>
<label for='explorer-range'>Budget</label>
<input type='range' id='explorer-range' min='0' max='{top:.0f}' step='{step:g}'
 value='{budget:.0f}'>
<input type='number' id='explorer-budget' min='0' step='any' value='{budget:.0f}'
 aria-label='Budget in {currency}'> {currency}
</div>
<p id='explorer-plan' aria-live='polite'></p>
<table class='explorer-facts'><tbody>
<tr><th scope='row'>Cost</th><td id='explorer-cost'></td></tr>
<tr><th scope='row'>Expected NPV</th><td id='explorer-npv'></td></tr>
<tr><th scope='row'>90% interval</th><td id='explorer-interval'></td></tr>
<tr><th scope='row'>P(loss)</th><td id='explorer-loss'></td></tr>
</tbody></table>
<svg id='explorer-histogram' width='640' height='172' role='img'
 aria-label='Histogram of the NPV of the plan shown'></svg>
<p class='muted'>Histogram of the plan's NPV: losses in vermillion, gains in blue; the
vertical line is zero.</p>
</div>
<script type='application/json' id='explorer-data'>{payload}</script>
<script>{_SCRIPT}</script>"""


def _slider_step(top: float) -> float:
    """A round slider step giving about a thousand positions."""
    raw = top / 1000
    if raw <= 0:
        return 1.0
    return float(10 ** np.floor(np.log10(raw)))


_SCRIPT = (
    """
(function () {
  var root = document.getElementById('explorer');
  var data = JSON.parse(document.getElementById('explorer-data').textContent);
  var range = document.getElementById('explorer-range');
  var typed = document.getElementById('explorer-budget');
  function money(v) {
    var digits = (Math.abs(v) >= 100 || Number.isInteger(v)) ? 0 : 2;
    return v.toLocaleString('en-US', {minimumFractionDigits: digits,
      maximumFractionDigits: digits}) + ' ' + data.currency;
  }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function histogram(step) {
    var svg = document.getElementById('explorer-histogram');
    var ns = 'http://www.w3.org/2000/svg';
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    if (!step) { return; }
    var edges = step.histogram.edges, counts = step.histogram.counts;
    var lo = Math.min(edges[0], 0), hi = Math.max(edges[edges.length - 1], 0);
    var width = 640, height = 150, most = Math.max.apply(null, counts) || 1;
    function x(v) { return hi > lo ? (v - lo) / (hi - lo) * (width - 20) + 10 : width / 2; }
    for (var i = 0; i < counts.length; i++) {
      var bar = document.createElementNS(ns, 'rect');
      var h = counts[i] / most * (height - 10);
      bar.setAttribute('x', x(edges[i]));
      bar.setAttribute('width', Math.max(x(edges[i + 1]) - x(edges[i]) - 1, 1));
      bar.setAttribute('y', height - h);
      bar.setAttribute('height', h);
      bar.setAttribute('fill', edges[i + 1] <= 0 ? '"""
    + LOSS_COLOUR
    + """' : '"""
    + GAIN_COLOUR
    + """');
      svg.appendChild(bar);
    }
    var zero = document.createElementNS(ns, 'line');
    zero.setAttribute('x1', x(0)); zero.setAttribute('x2', x(0));
    zero.setAttribute('y1', 0); zero.setAttribute('y2', height + 10);
    zero.setAttribute('stroke', '#222'); zero.setAttribute('stroke-width', 2);
    svg.appendChild(zero);
    [[lo, 'start'], [hi, 'end']].forEach(function (end) {
      var label = document.createElementNS(ns, 'text');
      label.setAttribute('x', end[1] === 'start' ? 10 : width - 10);
      label.setAttribute('y', height + 16);
      label.setAttribute('text-anchor', end[1]);
      label.setAttribute('font-size', 12);
      label.textContent = money(end[0]);
      svg.appendChild(label);
    });
  }
  function show(budget) {
    var step = null;
    for (var i = 0; i < data.steps.length; i++) {
      if (data.steps[i].cost <= budget * (1 + 1e-12) + 1e-9) { step = data.steps[i]; break; }
    }
    var plan = document.getElementById('explorer-plan');
    if (!step || step.selected.length === 0) {
      plan.textContent = budget < data.cheapest
        ? 'Fund nothing: the budget is below the cheapest investment (' +
          money(data.cheapest) + ').'
        : 'Fund nothing: no affordable plan beats the status quo.';
      plan.setAttribute('data-selected', '');
      text('explorer-cost', money(0)); text('explorer-npv', money(0));
      text('explorer-interval', '–'); text('explorer-loss', '0.0%');
      histogram(null);
      return;
    }
    plan.textContent = 'Fund ' + step.selected.join(' + ') + '.';
    plan.setAttribute('data-selected', step.selected.join(' + '));
    text('explorer-cost', money(step.cost));
    text('explorer-npv', money(step.npv_mean));
    text('explorer-interval', money(step.npv_p05) + ' to ' + money(step.npv_p95));
    text('explorer-loss', (step.p_loss * 100).toFixed(1) + '%');
    histogram(step);
  }
  range.addEventListener('input', function () {
    typed.value = range.value; show(Number(range.value));
  });
  typed.addEventListener('input', function () {
    var value = Number(typed.value);
    if (typed.value === '' || !isFinite(value) || value < 0) { return; }
    range.value = value; show(value);
  });
  root.hidden = false;
  show(Number(typed.value));
})();
"""
)
