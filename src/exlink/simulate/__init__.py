"""Backend-light mathematics on posterior draws: propagation, returns, portfolios."""

from exlink.simulate.information import InformationValue, value_of_information
from exlink.simulate.investments import Finance, Investment
from exlink.simulate.portfolio import Plan, efficient_frontier, prioritise
from exlink.simulate.roi import RoiResult, simulate

__all__ = [
    "Finance",
    "InformationValue",
    "Investment",
    "Plan",
    "RoiResult",
    "efficient_frontier",
    "prioritise",
    "simulate",
    "value_of_information",
]
