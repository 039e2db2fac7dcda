"""The report's sections on the data and the model's health.

The panel as the model read it; the convergence verdict over every sampled
quantity; identification warnings; the survey stages' reliability; and, for
constructs, their items' loadings, reliability and the covariance check.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from exlink.report_tables import html_table

if TYPE_CHECKING:
    from exlink.models.chain import ChainModel
    from exlink.models.diagnostics import Diagnostics


def data_section(model: ChainModel) -> list[str]:
    """The panel in words, its stages and interventions, and the rollouts."""
    panel = model.panel
    return [
        f"<pre>{html.escape(repr(panel))}</pre>",
        "<h3>Stages and interventions</h3>",
        html_table(panel.describe()),
        "<h3>Rollouts</h3>",
        html_table(panel.rollout()),
    ]


def health_section(model: ChainModel, health: Diagnostics) -> list[str]:
    """Convergence, identification, survey reliability and the constructs' measurement."""
    verdict = "good" if health.converged else "bad"
    return [
        f"<p class='verdict {verdict}'>{html.escape(health.headline())}</p>",
        _identification(health),
        "<p class='muted'>The worst element of each sampled quantity, worst first.</p>",
        html_table(health.by_group().head(12), index=False),
        *_reliability(model),
        *_measurement(model),
    ]


def _reliability(model: ChainModel) -> list[str]:
    table = model.reliability()
    if not len(table):
        return []
    return [
        "<h3>Survey stages</h3><p class='muted'>Reliability: the share of each survey stage's "
        "movement within units that is signal, not sampling error; responses_needed: "
        "responses per value for a reliability of 0.8; true_values: integrated out exactly, "
        "sampled, or (a stage that feeds no link) in its likelihood.</p>",
        html_table(table.round(3)),
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
        html_table(items.round(3)),
        html_table(constructs.round(3)),
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
