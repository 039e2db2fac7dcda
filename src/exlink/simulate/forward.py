"""Former home of the propagation engine, now :mod:`exlink.models.propagation`.

Kept so that code importing ``exlink.simulate.forward`` keeps working.
"""

from exlink.models.propagation import (
    ChainDraws,
    intervention_shock,
    propagate,
)

__all__ = ["ChainDraws", "intervention_shock", "propagate"]
