"""The chain as a diagram: stages by role, interventions feeding them, links with their effects."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from exlink.spec import ROLES, Chain

ROLE_COLOURS = {"ex": "#4C72B0", "cx": "#55A868", "customer": "#C44E52", "financial": "#8172B2"}
INTERVENTION_COLOUR = "#DD8452"


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
        an interval covering zero) are drawn dashed and grey.

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
    fig, ax = plt.subplots(figsize=(3.2 * len(kept) + 1, 1.1 * height + 2))
    lookup = _effect_lookup(effects)
    for header_x, (header, _) in enumerate(kept):
        ax.text(header_x * 3.0, 0.8 * height + 0.3, header.upper(), ha="center", fontweight="bold")
    for name, (x, y) in position.items():
        role = chain.stage(name).role if name in chain.stage_names else None
        colour = ROLE_COLOURS.get(role, INTERVENTION_COLOUR)
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            color="white",
            fontsize=9,
            gid=f"node:{name}",
            bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "none"},
        )
    edges = [(lk.source, lk.target, lk.lag, "link") for lk in chain.links]
    edges += [(k.name, t, 0, "intervention") for k in chain.interventions for t in k.targets]
    crowded = len(edges) > 12
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
            interval = "" if crowded else f" [{row['lower']:.2g}, {row['upper']:.2g}]"
            label = f"{row['mean']:.2g}{interval}" + (f" lag {lag}" if lag else "")
        if label:
            share = 0.5 if not crowded else 0.3
            mid = (start[0] + share * (end[0] - start[0]), start[1] + share * (end[1] - start[1]))
            ax.text(
                mid[0],
                mid[1] + 0.12,
                label,
                ha="center",
                fontsize=6 if crowded else 7,
                color="#555555",
                gid=f"label:{kind}:{source}->{target}",
            )
    ax.set_xlim(-1.5, 3.0 * (len(kept) - 1) + 1.5)
    ax.set_ylim(-0.8 * height - 0.5, 0.8 * height + 0.8)
    ax.axis("off")
    title = "The chain" + (" (dashed: interval covers zero)" if effects is not None else "")
    ax.set_title(title)
    fig.tight_layout()
    return fig


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
