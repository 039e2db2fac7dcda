"""Models of a chain: the Bayesian ChainModel and a fixed-effects baseline.

This is the only layer of exlink that touches PyMC.
"""

from exlink.models.chain import ChainModel
from exlink.models.diagnostics import ConvergenceWarning, Diagnostics

__all__ = ["ChainModel", "ConvergenceWarning", "Diagnostics"]
