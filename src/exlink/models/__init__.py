"""Models of a chain: the Bayesian ChainModel and a fixed-effects baseline.

This is the only layer of exlink that touches PyMC.
"""

from exlink.models.batch import fit_each
from exlink.models.chain import ChainModel
from exlink.models.diagnostics import (
    ConvergenceError,
    ConvergenceWarning,
    Diagnostics,
    IdentificationWarning,
)
from exlink.models.experiments import Experiment

__all__ = [
    "ChainModel",
    "ConvergenceError",
    "ConvergenceWarning",
    "Diagnostics",
    "Experiment",
    "IdentificationWarning",
    "fit_each",
]
