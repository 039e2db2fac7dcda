"""Figures from exlink's results: each function takes results and returns a matplotlib Figure."""

from exlink.plotting.causal_figures import check_figure, check_figures
from exlink.plotting.chain_figures import chain_diagram
from exlink.plotting.model_figures import effects_forest, predictive_check, total_effect
from exlink.plotting.roi_figures import (
    cashflow_fan,
    frontier,
    npv_distribution,
    npv_ranking,
    tornado,
)

__all__ = [
    "cashflow_fan",
    "chain_diagram",
    "check_figure",
    "check_figures",
    "effects_forest",
    "frontier",
    "npv_distribution",
    "npv_ranking",
    "predictive_check",
    "tornado",
    "total_effect",
]
