"""Money on posterior draws: returns of investments, plans, portfolios, the value of information."""

from exlink.simulation.finance_scenarios import finance_sweep
from exlink.simulation.finance_sensitivity import npv_sensitivity
from exlink.simulation.information import InformationValue, value_of_information
from exlink.simulation.investments import Finance, Investment
from exlink.simulation.portfolio import Plan, budget_steps, efficient_frontier, prioritise
from exlink.simulation.roi import RoiResult, simulate

__all__ = [
    "Finance",
    "InformationValue",
    "Investment",
    "Plan",
    "RoiResult",
    "budget_steps",
    "efficient_frontier",
    "finance_sweep",
    "npv_sensitivity",
    "prioritise",
    "simulate",
    "value_of_information",
]
