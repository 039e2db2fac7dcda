"""A fitted model's contents as one read-only value.

:attr:`ChainModel.fitted <exlink.models.chain.ChainModel.fitted>` returns a
:class:`FittedChain`: the chain, the priors, the data, the design built from
them, the posterior and its health, computed once. Checks, simulation, figures
and model files read it instead of a model's inner state, so a reader cannot
change the model it reads and a subclass of :class:`ChainModel` keeps working
with them as long as it fills the same value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType

import xarray as xr

from exlink.data import Panel
from exlink.dims import CHAIN
from exlink.models import summaries
from exlink.models.design import ChainDesign
from exlink.models.diagnostics import Diagnostics, diagnose
from exlink.models.experiments import Experiment
from exlink.priors import Prior
from exlink.spec import Chain


@dataclass(frozen=True, eq=False)
class FittedChain:
    """Everything a fitted :class:`~exlink.models.chain.ChainModel` holds, read-only.

    Attributes
    ----------
    chain : Chain
        The structure the model was fitted with.
    priors : Mapping of str to Prior
        The prior overrides (a read-only view).
    panel : Panel
        The data the model was fitted on.
    design : ChainDesign
        The arrays and index maps built from chain and panel: stage means and
        SDs of the standardisation, links, effects, survey terms.
    idata : xarray.DataTree
        The posterior, sample statistics and, after a fit, prior draws.
    experiments, pilots : tuple of Experiment
        Pilots in the likelihood, and pilots of candidate investments.
    """

    chain: Chain
    priors: Mapping[str, Prior]
    panel: Panel
    design: ChainDesign
    idata: xr.DataTree
    experiments: tuple[Experiment, ...] = ()
    pilots: tuple[Experiment, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", MappingProxyType(dict(self.priors)))
        object.__setattr__(self, "experiments", tuple(self.experiments))
        object.__setattr__(self, "pilots", tuple(self.pilots))

    @cached_property
    def posterior(self) -> xr.Dataset:
        """The posterior draws, dims ``(chain, draw, ...)``."""
        return self.idata.posterior.to_dataset()

    @property
    def chains(self) -> int:
        """The number of MCMC chains sampled."""
        return int(self.idata.posterior.sizes[CHAIN])

    @cached_property
    def diagnostics(self) -> Diagnostics:
        """Convergence and identification report (computed on first use, then kept)."""
        return diagnose(self.idata, self.design)

    def thinned_posterior(self, draws: int | None) -> xr.Dataset:
        """The posterior thinned to about ``draws`` samples (all of them for ``None``)."""
        return summaries.thin(self.posterior, draws)
