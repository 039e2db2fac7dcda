"""ChainModel: the hierarchical Bayesian path model of a chain."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pymc as pm
import xarray as xr

from exlink.data import Panel
from exlink.dims import PERIOD, STAGE, UNIT
from exlink.models import io, summaries
from exlink.models.design import ChainDesign
from exlink.models.diagnostics import ConvergenceWarning, Diagnostics, diagnose
from exlink.models.graph import build_graph
from exlink.models.prior_set import PriorSet
from exlink.models.sampling import run_sampler
from exlink.priors import Prior
from exlink.spec import Chain


class ChainModel:
    """Hierarchical Bayesian model of a chain, from EX interventions to money.

    The model and its mathematics are described in :mod:`exlink.models.graph`.
    Nothing is sampled until :meth:`fit`; every lifecycle method returns the
    model or a labelled ArviZ/xarray object.

    Parameters
    ----------
    chain
        The structure: stages, links and interventions.
    priors
        Overrides of the default priors, by group (``"beta"``, stated in
        standard deviations of the stages) or by element
        (``"beta[engagement -> nps]"``, stated on the stages' own scale).
        :meth:`default_priors` lists every name.

    Attributes
    ----------
    idata : xarray.DataTree or None
        Posterior and sample statistics after :meth:`fit`.
    panel : Panel or None
        The data the model was built on.

    Examples
    --------
    >>> import exlink as xl
    >>> sim = xl.datasets.make_service_chain(n_units=20, n_periods=12, seed=1)
    >>> model = xl.ChainModel(sim.chain).build(sim.panel())
    >>> model.default_priors().query("group == 'beta'")["element"].tolist()
    ['engagement -> nps', 'nps -> retention (lag 1)', 'retention -> revenue (lag 1)']
    """

    def __init__(self, chain: Chain, priors: Mapping[str, Prior] | None = None) -> None:
        if not isinstance(chain, Chain):
            raise TypeError(f"ChainModel needs an exlink.Chain, got {type(chain).__name__}.")
        self.chain = chain
        self.priors = dict(priors or {})
        self.idata: xr.DataTree | None = None
        self.panel: Panel | None = None
        self._design: ChainDesign | None = None
        self._model: pm.Model | None = None
        self._mu: dict | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def build(self, panel: Panel) -> ChainModel:
        """Check the panel against the chain and build the PyMC model.

        Parameters
        ----------
        panel
            The data, holding every stage and intervention of the chain.

        Returns
        -------
        ChainModel
            ``self``.
        """
        if not isinstance(panel, Panel):
            raise TypeError(
                f"build needs an exlink.Panel, got {type(panel).__name__}: "
                "make one with Panel.from_frame(df, ...)."
            )
        design = ChainDesign(self.chain, panel)
        prior_set = PriorSet(design, self.priors)
        self._model, self._mu = build_graph(design, prior_set)
        self._design, self.panel = design, panel
        return self

    def fit(
        self,
        panel: Panel | None = None,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        sampler: str = "auto",
        random_seed: int | None = None,
        progressbar: bool = True,
        **sample_kwargs,
    ) -> ChainModel:
        """Sample the posterior with NUTS.

        Parameters
        ----------
        panel
            The data; optional when :meth:`build` was called already.
        draws, tune, chains
            Kept draws, tuning draws and chains.
        sampler
            ``"auto"`` (nutpie where installed, else PyMC), ``"nutpie"``,
            ``"pymc"`` or ``"numpyro"``.
        random_seed
            Seed, for reproducible draws.
        progressbar
            Show sampling progress.
        **sample_kwargs
            Passed to :func:`pymc.sample` (for example ``target_accept``).

        Returns
        -------
        ChainModel
            ``self``, with :attr:`idata` set. A :class:`ConvergenceWarning`
            is issued when :meth:`diagnostics` finds a problem.
        """
        if panel is None and self.panel is None:
            raise ValueError("fit needs a panel: model.fit(panel) or model.build(panel).fit().")
        if panel is not None or self._model is None or "mu" in self._model.named_vars:
            # A graph that predict() extended with mu would store it on every draw: rebuild.
            self.build(panel if panel is not None else self.panel)
        self.idata = run_sampler(
            self._model,
            draws=draws,
            tune=tune,
            chains=chains,
            sampler=sampler,
            random_seed=random_seed,
            progressbar=progressbar,
            **sample_kwargs,
        )
        report = self.diagnostics()
        if not report.converged:
            warnings.warn(report.headline(), ConvergenceWarning, stacklevel=2)
        return self

    def sample_prior_predictive(
        self, draws: int = 500, random_seed: int | None = None
    ) -> xr.DataTree:
        """Draws of the parameters and of every stage from the priors alone.

        Returns
        -------
        xarray.DataTree
            Groups ``prior`` (parameters) and ``prior_predictive`` (stage
            values on the original scale, dims ``(chain, draw, stage, unit,
            period)``, NaN where a stage is not modelled).
        """
        model = self._require_model()
        with _quiet_potentials():
            prior = pm.sample_prior_predictive(draws=draws, model=model, random_seed=random_seed)
        stages = summaries.stage_draws(self._design, prior["prior_predictive"].to_dataset())
        return xr.DataTree.from_dict(
            {"prior": prior["prior"].to_dataset(), "prior_predictive": stages.to_dataset(name="y")}
        )

    def sample_posterior_predictive(
        self, draws: int | None = 500, random_seed: int | None = None
    ) -> xr.DataArray:
        """Replicated stage values from the posterior, on the original scale.

        Parameters
        ----------
        draws
            Posterior draws to use, spread evenly over the chains (``None``
            for all; memory grows with stages x units x periods x draws).
        random_seed
            Seed.

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, stage, unit, period)``; NaN where a stage is
            not modelled (its leading periods before its longest lag).
        """
        model, posterior = self._require_model(), self._thinned_posterior(draws)
        names = [f"y[{n}]" for n in self.chain.stage_names]
        with _quiet_potentials():
            predictive = pm.sample_posterior_predictive(
                posterior, model=model, var_names=names, random_seed=random_seed, progressbar=False
            )
        return summaries.stage_draws(self._design, predictive["posterior_predictive"].to_dataset())

    def predict(self, panel: Panel | None = None, draws: int | None = 500) -> xr.DataArray:
        """Expected stage values ``mu`` under the posterior, on the original scale.

        Parameters
        ----------
        panel
            Data to predict for: the fitted panel (default) or one with the
            same units, periods and missing cells, for example with other
            rollouts, to compare scenarios on the same draws.
        draws
            Posterior draws to use (``None`` for all).

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, stage, unit, period)``; NaN in each stage's
            leading periods before its longest lag.
        """
        model, posterior = self._require_model(), self._thinned_posterior(draws)
        mu = self._mu
        if panel is not None:
            # A graph of its own: the exposure's structure follows the new rollouts.
            design = self._same_layout(panel)
            model, mu = build_graph(design, PriorSet(design, self.priors))
        with model:
            if "mu" not in model.named_vars:
                import pytensor.tensor as pt

                stacked = pt.stack([mu[n] for n in self.chain.stage_names])
                pm.Deterministic("mu", stacked, dims=(STAGE, UNIT, PERIOD))
            with _quiet_potentials():
                out = pm.sample_posterior_predictive(
                    posterior, var_names=["mu"], progressbar=False
                )["posterior_predictive"]["mu"]
        return summaries.to_original_scale(self._design, out)

    # -- results --------------------------------------------------------------------------
    def default_priors(self) -> pd.DataFrame:
        """Every prior of the model, on the standardised and the original scale.

        Needs a built model (the original scale depends on the data).
        """
        return PriorSet(self._require_design(), self.priors).table()

    def diagnostics(self) -> Diagnostics:
        """Convergence report: R-hat, effective sample size and divergences, with a verdict."""
        return diagnose(self._require_idata())

    def effects(self, hdi_prob: float = 0.9) -> pd.DataFrame:
        """Every link and intervention effect on the original scale of its stages.

        Parameters
        ----------
        hdi_prob
            Probability mass of the highest-density interval.

        Returns
        -------
        pandas.DataFrame
            One row per link, intervention effect and moderation, with
            ``kind``, ``source``, ``target``, ``lag``, ``mean``, ``sd``,
            ``lower``, ``upper``, ``p_positive``, ``r_hat``, ``ess_bulk`` and
            ``covers_zero`` (the interval holds 0: no clear effect, a possible
            break in the chain).
        """
        return summaries.effects_table(self.chain, self._require_idata(), hdi_prob)

    def total_effects(self, horizon: int = 24) -> xr.Dataset:
        """Effect of a permanent full rollout of each intervention on every stage, by horizon.

        Parameters
        ----------
        horizon
            Periods after the start to report.

        Returns
        -------
        xarray.Dataset
            ``total``, ``direct`` and ``indirect`` with dims ``(chain, draw,
            intervention, stage, horizon)`` and ``long_run`` with dims
            ``(chain, draw, intervention, stage)``, on the original scale, for
            an average unit (moderators at their mean) with saturating and
            threshold links evaluated at each source's observed mean.
        """
        from exlink.models.total_effects import total_effects

        return total_effects(self._require_design(), self._require_idata().posterior, horizon)

    def summary(self, hdi_prob: float = 0.9) -> pd.DataFrame:
        """Posterior summary of every scalar-per-label parameter (rates, noise, lever pools)."""
        return summaries.parameter_table(self._require_idata(), hdi_prob)

    # -- saving ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the posterior, the data, the chain, the priors and the version to netCDF.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        return io.save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> ChainModel:
        """Read a model written by :meth:`save`, checking its spec and version."""
        chain, priors, panel, idata = io.load(Path(path))
        model = cls(chain, priors)
        model.panel, model.idata = panel, idata
        model._design = ChainDesign(chain, panel)
        return model

    # -- helpers -----------------------------------------------------------------------------
    def _require_design(self) -> ChainDesign:
        if self._design is None:
            raise RuntimeError("the model is not built yet: call model.build(panel) or fit(panel).")
        return self._design

    def _require_model(self) -> pm.Model:
        if self._model is None:
            if self.panel is None:
                raise RuntimeError("the model is not built yet: call model.build(panel).")
            self._model, self._mu = build_graph(self._design, PriorSet(self._design, self.priors))
        return self._model

    def _require_idata(self) -> xr.DataTree:
        if self.idata is None:
            raise RuntimeError("the model is not fitted yet: call model.fit(panel).")
        return self.idata

    def _thinned_posterior(self, draws: int | None) -> xr.Dataset:
        posterior = self._require_idata().posterior.to_dataset()
        return summaries.thin(posterior, draws)

    def _same_layout(self, panel: Panel) -> ChainDesign:
        design = ChainDesign(self.chain, panel)
        fitted = self._require_design()
        same = (
            list(design.units) == list(fitted.units)
            and list(design.periods) == list(fitted.periods)
            and all(
                (design.imputed_cells(j) == fitted.imputed_cells(j)).all()
                and len(design.imputed_cells(j)) == len(fitted.imputed_cells(j))
                for j in range(len(self.chain.stage_names))
            )
        )
        if not same:
            raise ValueError(
                "predict needs a panel with the fitted panel's units, periods and missing cells; "
                "change rollouts or observed values only."
            )
        design.means, design.sds = fitted.means, fitted.sds
        design.y = (
            panel.stages.sel({STAGE: list(self.chain.stage_names)}).values
            - fitted.means[:, None, None]
        ) / fitted.sds[:, None, None]
        return design

    def __repr__(self) -> str:
        state = "fitted" if self.idata is not None else "built" if self._model else "not built"
        return f"ChainModel ({state})\n{self.chain!r}"


@contextlib.contextmanager
def _quiet_potentials() -> Iterator[None]:
    """Silence PyMC's note that Potentials are ignored by predictive sampling.

    The Potentials only carry the likelihood of imputed stage values: prior
    predictive draws of those use the stage's own spread instead, and posterior
    predictive draws condition on their posterior values, which already
    include the Potentials.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The effect of Potentials")
        yield
