"""exlink: which employee-experience investments pay, through customer experience, in money.

exlink fits Bayesian models of the chain from employee-experience (EX)
interventions through EX and customer-experience (CX) measures to customer
behaviour and financial results, on a panel of business units observed over
periods, and simulates the return of candidate investments.
"""

from exlink import checks, datasets, dims
from exlink._moved import install_moved_modules
from exlink._version import __version__
from exlink.data import Panel
from exlink.link_forms import register_link_form
from exlink.models import (
    ChainModel,
    ConvergenceError,
    ConvergenceWarning,
    Experiment,
    IdentificationWarning,
    fit_each,
)
from exlink.priors import Prior
from exlink.simulation import (
    Finance,
    Investment,
    RoiResult,
    budget_steps,
    efficient_frontier,
    finance_sweep,
    npv_sensitivity,
    prioritise,
    simulate,
    value_of_information,
)
from exlink.spec import Chain, Construct, Intervention, Link, Stage
from exlink.surveys import Survey

__all__ = [
    "Chain",
    "ChainModel",
    "Construct",
    "ConvergenceError",
    "ConvergenceWarning",
    "Experiment",
    "Finance",
    "IdentificationWarning",
    "Intervention",
    "Investment",
    "Link",
    "Panel",
    "Prior",
    "RoiResult",
    "Stage",
    "Survey",
    "__version__",
    "budget_steps",
    "checks",
    "datasets",
    "dims",
    "efficient_frontier",
    "finance_sweep",
    "fit_each",
    "npv_sensitivity",
    "prioritise",
    "register_link_form",
    "simulate",
    "value_of_information",
]

install_moved_modules()
