"""The chain as a diagram: stages by role, interventions feeding them, links with their effects."""

from __future__ import annotations

from collections import Counter

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from exlink.plotting.palette import BLUE, GREEN, ORANGE, PURPLE, TEXT_ON, VERMILLION
from exlink.spec import ROLES, Chain

ROLE_COLOURS = {"ex": BLUE, "cx": GREEN, "customer": VERMILLION, "financial": PURPLE}
INTERVENTION_COLOUR = ORANGE
MAX_WIDTH = 12.0
"""Inches: the diagram fits a page at about 90 dpi without being scaled down."""


def chain_diagram(chain: Chain, effects: pd.DataFrame | None = None) -> Figure:
    """Draw the chain: interventions, then EX, CX, customer and financial stages, left to right.

    Parameters
    ----------
    chain
        The structure.
    effects
        Optional :meth:`~exlink.models.chain.ChainModel.effects` table. Links
        and intervention effects are then labelled with their mean and
        interval (the mean alone on chains of more than 12 edges; the forest
        plot has the intervals), and those that are not clearly of practical
        size (``verdict`` ``"break"`` or ``"unclear"``; without a verdict,
        an interval covering zero) are drawn dashed and grey. With the
        standardised columns (``effects(standardised=True)``) the labels are
        standardised effects, comparable across edges: SDs of the target per
        SD of the source for a link, SDs of the target for an intervention.

    Returns
    -------
    matplotlib.figure.Figure
    """
    columns = [list(chain.intervention_names)] + [
        [s.name for s in chain.stages if s.role == role] for role in ROLES
    ]
    headers = ["interventions", *ROLES]
    kept = [(h, c) for h, c in zip(headers, columns, strict=True) if c]
    position = {}
    for x, (_, names) in enumerate(kept):
        for i, name in enumerate(names):
            position[name] = (x * 3.0, -(i - (len(names) - 1) / 2) * 1.4)
    height = max(len(c) for _, c in kept)
    fig, ax = plt.subplots(figsize=(min(2.6 * len(kept) + 1, MAX_WIDTH), 1.2 * height + 2))
    lookup = _effect_lookup(effects)
    standardised = effects is not None and "std_mean" in effects.columns
    for header_x, (header, _) in enumerate(kept):
        ax.text(
            header_x * 3.0,
            0.8 * height + 0.3,
            header.upper(),
            ha="center",
            fontweight="bold",
            fontsize=11,
        )
    for name, (x, y) in position.items():
        role = chain.stage(name).role if name in chain.stage_names else None
        colour = ROLE_COLOURS.get(role, INTERVENTION_COLOUR)
        ax.text(
            x,
            y,
            _wrapped(name),
            ha="center",
            va="center",
            color=TEXT_ON[colour],
            fontsize=11,
            gid=f"node:{name}",
            bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "none"},
        )
    edges = [(lk.source, lk.target, lk.lag, "link") for lk in chain.links]
    edges += [(k.name, t, 0, "intervention") for k in chain.interventions for t in k.targets]
    crowded = len(edges) > 12
    fan_out = Counter(source for source, *_ in edges)
    fan_in = Counter(target for _, target, *_ in edges)
    for source, target, lag, kind in edges:
        row = lookup.get((kind, source, target, lag))
        broken = bool(row is not None and _possible_break(row))
        start, end = position[source], position[target]
        columns_apart = abs(end[0] - start[0]) / 3.0
        bend = (
            1.5
            if source == target
            else 0.5
            if columns_apart == 0
            else 0.2
            if columns_apart > 1
            else 0
        )
        curve = f"arc3,rad={bend}"
        if source == target:
            end = (end[0] + 0.01, end[1] + 0.3)
        arrow = FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=12,
            connectionstyle=curve,
            shrinkA=28,
            shrinkB=28,
            lw=1.3,
            linestyle="--" if broken else "-",
            color="#999999" if broken else "#333333",
            gid=f"edge:{kind}:{source}->{target}",
        )
        ax.add_patch(arrow)
        label = f"lag {lag}" if lag else ""
        if row is not None:
            prefix = "std_" if standardised and pd.notna(row.get("std_mean")) else ""
            interval = (
                "" if crowded else f" [{row[prefix + 'lower']:.2g}, {row[prefix + 'upper']:.2g}]"
            )
            label = f"{row[prefix + 'mean']:.2g}{interval}" + (f" lag {lag}" if lag else "")
        if label:
            # Labels spread where the edges spread: near the target of a fan out of
            # one source, near the source of a fan into one target.
            share = 0.5
            if crowded:
                share = 0.7 if fan_out[source] > fan_in[target] else 0.3
            mid = (start[0] + share * (end[0] - start[0]), start[1] + share * (end[1] - start[1]))
            if source == target:
                mid = (start[0], start[1] + 0.55)  # above the node, over its loop
            ax.text(
                mid[0],
                mid[1],
                label,
                ha="center",
                va="center",
                fontsize=9 if crowded else 10,
                color="#222222",
                gid=f"label:{kind}:{source}->{target}",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                zorder=3,
            )
    ax.set_xlim(-1.5, 3.0 * (len(kept) - 1) + 1.5)
    ax.set_ylim(-0.8 * height - 0.5, 0.8 * height + 0.8)
    ax.axis("off")
    title = "The chain"
    if effects is not None:
        title += " (dashed: no effect of practical size shown)"
    if standardised:
        title += "\nedge labels: standardised effects (target SDs per source SD)"
    ax.set_title(title, fontsize=12)
    fig.tight_layout()
    return fig


def _wrapped(name: str, width: int = 12) -> str:
    """A long stage name broken at its underscores, so nodes stay narrow."""
    if len(name) <= width or "_" not in name:
        return name
    lines, line = [], ""
    for part in name.split("_"):
        candidate = f"{line}_{part}" if line else part
        if line and len(candidate) > width:
            lines.append(line + "_")
            line = part
        else:
            line = candidate
    return "\n".join([*lines, line])


def _effect_lookup(effects: pd.DataFrame | None) -> dict:
    if effects is None:
        return {}
    rows = effects[effects["kind"].isin(["link", "intervention"])]
    return {(r["kind"], r["source"], r["target"], int(r["lag"])): r for _, r in rows.iterrows()}


def _possible_break(row) -> bool:
    """Whether an effect is not clearly of practical size (a break, or unclear)."""
    verdict = row.get("verdict", "") if hasattr(row, "get") else ""
    if isinstance(verdict, str) and verdict:
        return verdict != "effect"
    return bool(row["covers_zero"])
