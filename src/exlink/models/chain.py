"""ChainModel: the hierarchical Bayesian path model of a chain."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd
import pymc as pm
import xarray as xr

from exlink._names import did_you_mean, unknown_name_message
from exlink.data import Panel
from exlink.dims import PERIOD, STAGE, UNIT
from exlink.models import io, summaries
from exlink.models.design import ChainDesign, survey_terms
from exlink.models.diagnostics import (
    ConvergenceWarning,
    Diagnostics,
    IdentificationWarning,
)
from exlink.models.experiments import (
    Experiment,
    check_candidate_pilot,
    experiments_from_table,
)
from exlink.models.fitted import FittedChain
from exlink.models.graph import build_graph
from exlink.models.identification import draw_priors
from exlink.models.levels import LATENT_SOURCE_LEVELS
from exlink.models.measurement import Measurement, measurement_table
from exlink.models.prior_set import PriorSet
from exlink.models.reliability import reliability_table
from exlink.models.sampling import FORWARD_MODE, quiet_forward_sampling, run_sampler
from exlink.models.unit_levels import LEVEL
from exlink.priors import Prior
from exlink.spec import Chain

CURVED_TARGET_ACCEPT = 0.9
"""Target acceptance of a fit whose chain has a saturating, threshold or registered link."""
DRAWS = 1000
"""Kept draws per chain by default."""
LATENT_DRAWS = 2000
"""Kept draws per chain by default when survey stages have latent true values: one value
per unit and period makes thousands of sampled quantities, and with 1000 draws the
largest of their R-hats passes 1.01 by chance alone, although each one's ESS is in the
thousands."""


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
    experiments : list of Experiment
        Pilots added with :meth:`add_experiment`, part of the likelihood.
    pilots : list of Experiment
        Pilots of new investments (candidates the chain does not hold),
        added with :meth:`add_experiment`; :func:`~exlink.simulation.roi.simulate`
        updates the candidate's effect with them.

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
        self._fitted: FittedChain | None = None
        self.experiments: list[Experiment] = []
        self.pilots: list[Experiment] = []

    def __getstate__(self) -> dict:
        """What a copy in another process needs: everything but the PyMC graph.

        The graph is rebuilt from the chain, priors and panel where it is
        next needed (a Dask worker running a check, for example).
        """
        state = self.__dict__.copy()
        state["_model"], state["_mu"], state["_fitted"] = None, None, None
        return state

    # -- what the model holds ------------------------------------------------------------
    @property
    def design(self) -> ChainDesign:
        """The arrays and index maps built from chain and panel (after :meth:`build`)."""
        return self._require_design()

    @property
    def pymc_model(self) -> pm.Model:
        """The PyMC model (after :meth:`build`), to inspect or extend."""
        return self._require_model()

    @property
    def fitted(self) -> FittedChain:
        """The fitted model's contents as one read-only value (after :meth:`fit` or :meth:`load`).

        Checks, simulation, figures and model files read this value. Its
        :attr:`~exlink.models.fitted.FittedChain.diagnostics` are computed once.

        Raises
        ------
        RuntimeError
            When the model has not been fitted or loaded.
        """
        idata, design = self._require_idata(), self._require_design()
        held = self._fitted
        if held is None or held.idata is not idata or held.design is not design:
            held = FittedChain(
                chain=self.chain,
                priors=self.priors,
                panel=self.panel,
                design=design,
                idata=idata,
                experiments=tuple(self.experiments),
                pilots=tuple(self.pilots),
            )
            self._fitted = held
        return held

    def respecify(
        self, chain: Chain | None = None, priors: Mapping[str, Prior] | None = None
    ) -> ChainModel:
        """A new, unfitted model of the same class with another chain or other priors.

        The checks refit through this method. A subclass whose constructor
        takes more arguments overrides it to pass them on.

        Parameters
        ----------
        chain
            The new structure; this model's chain by default.
        priors
            The new prior overrides; this model's by default.
        """
        return type(self)(
            self.chain if chain is None else chain, self.priors if priors is None else priors
        )

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
        for experiment in self.experiments:
            experiment.check(self.chain, design.units)
        prior_set = PriorSet(design, self.priors)
        self._model, self._mu = build_graph(design, prior_set, self.experiments)
        self._design, self.panel = design, panel
        return self

    def add_experiment(
        self,
        intervention: str,
        stage: str,
        lift: float,
        se: float,
        *,
        units: Sequence[object] | None = None,
        periods: int | None = None,
        candidate: bool = False,
    ) -> ChainModel:
        """Add a pilot's or experiment's measured lift to the likelihood.

        The model's implied lift for the pilot (see
        :mod:`exlink.models.experiments`) is tied to the measured one by
        ``lift ~ Normal(implied, se)``: a precise randomised pilot calibrates
        the observational estimate; a noisy one barely moves it. Refit
        (:meth:`fit`) to use it.

        A pilot of a *new* investment, one the chain has no intervention for,
        names the candidate (its ``Investment`` name) instead. It does not
        enter the fit: :func:`~exlink.simulation.roi.simulate` combines it with
        the candidate's elicited effect draw by draw (see
        :mod:`exlink.simulation.pilots`), so no refit is needed.

        Parameters
        ----------
        intervention
            The intervention tested, or the name of the candidate investment
            piloted.
        stage
            The stage measured: a target of the intervention or downstream.
        lift
            Treated minus control, in the stage's units.
        se
            The lift's standard error, > 0 (for a 4-versus-4 branch pilot,
            about ``sd * sqrt(1/4 + 1/4)`` with ``sd`` the spread of the
            stage between branches over the pilot).
        units
            The pilot's units (their moderators set the implied lift);
            ``None`` for an average unit.
        periods
            Periods the lift was measured over from a full-level start (the
            adoption ramp counts); ``None`` for the settled effect.
        candidate
            Force the name to be read as a candidate investment, where it is
            close to an intervention's name (otherwise refused as a likely
            typo).

        Returns
        -------
        ChainModel
            ``self``; for an intervention's pilot, any fitted draws are
            dropped, as they do not include the experiment.
        """
        experiment = Experiment(intervention, stage, lift, se, units=units, periods=periods)
        known = self.chain.intervention_names
        if intervention not in known:
            near = did_you_mean(intervention, known)
            if near and not candidate:
                raise ValueError(
                    "experiment: "
                    + unknown_name_message("intervention", intervention, known)
                    + " For a pilot of a new investment of that name, pass candidate=True."
                )
            check_candidate_pilot(experiment, self.chain)
            self.pilots.append(experiment)
            return self
        if candidate:
            raise ValueError(
                f"experiment: {intervention!r} is an intervention of the chain, not a new "
                "investment; leave candidate out."
            )
        experiment.check(self.chain, None if self.panel is None else self.panel.units)
        self.experiments.append(experiment)
        self._model, self._mu, self.idata = None, None, None
        return self

    def add_experiments(self, table: pd.DataFrame) -> ChainModel:
        """Add several experiments from a table.

        Parameters
        ----------
        table
            Columns ``intervention``, ``stage``, ``lift``, ``se`` and
            optionally ``periods`` (empty for the settled effect); units are
            set with :meth:`add_experiment`.

        Returns
        -------
        ChainModel
            ``self``.
        """
        experiments = experiments_from_table(table)
        for row, experiment in enumerate(experiments):
            try:
                experiment.check(self.chain, None if self.panel is None else self.panel.units)
            except ValueError as error:
                raise ValueError(f"experiments table row {row}: {error}") from error
        self.experiments.extend(experiments)
        self._model, self._mu, self.idata = None, None, None
        return self

    def fit(
        self,
        panel: Panel | None = None,
        *,
        draws: int | None = None,
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
            Kept draws, tuning draws and chains. ``draws`` defaults to 1000
            per chain (:data:`DRAWS`), or 2000 (:data:`LATENT_DRAWS`) when a
            survey stage feeds a link and its true values are sampled.
        sampler
            ``"auto"`` (nutpie where installed, else PyMC), ``"nutpie"``,
            ``"pymc"`` or ``"numpyro"``.
        random_seed
            Seed, for reproducible draws.
        progressbar
            Show sampling progress.
        **sample_kwargs
            Sampler options. ``target_accept``, ``max_treedepth`` and
            ``cores`` go straight to nutpie, which compiles and samples the
            model without :func:`pymc.sample`'s detour (the same draws for the
            same seed); any other option sends the fit through
            :func:`pymc.sample`, which takes it.
            A chain with a curved link samples at ``target_accept=0.9``
            (:data:`CURVED_TARGET_ACCEPT`) unless told otherwise: a curve's
            bend can sharpen the posterior's geometry, and smaller steps keep
            the sampler from diverging there; other chains take the
            sampler's default.

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
        if any(lk.form != "linear" for lk in self.chain.links):
            sample_kwargs.setdefault("target_accept", CURVED_TARGET_ACCEPT)
        if draws is None:
            latent = any(self._design.is_sampled(j) for j in self._design.surveys)
            draws = LATENT_DRAWS if latent else DRAWS
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
        # Read by _require_design when the draws are loaded again.
        self.idata["posterior"].attrs[LATENT_SOURCE_LEVELS] = 1
        self._store_prior_draws(random_seed)
        report = self.diagnostics()
        if not report.converged:
            warnings.warn(report.headline(), ConvergenceWarning, stacklevel=2)
        if report.identification:
            warnings.warn(report.identification_note(), IdentificationWarning, stacklevel=2)
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
            prior = pm.sample_prior_predictive(
                draws=draws,
                model=model,
                random_seed=random_seed,
                compile_kwargs={"mode": FORWARD_MODE},
            )
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
                posterior,
                model=model,
                var_names=names,
                freeze_vars=_drawn(model, posterior),
                random_seed=random_seed,
                progressbar=False,
                compile_kwargs={"mode": FORWARD_MODE},
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
            with _quiet_potentials(), quiet_forward_sampling():
                out = pm.sample_posterior_predictive(
                    posterior,
                    var_names=["mu"],
                    freeze_vars=_drawn(model, posterior),
                    progressbar=False,
                    compile_kwargs={"mode": FORWARD_MODE},
                )["posterior_predictive"]["mu"]
        return summaries.to_original_scale(self._design, out)

    # -- results --------------------------------------------------------------------------
    def default_priors(self) -> pd.DataFrame:
        """Every prior of the model, on the standardised and the original scale.

        Needs a built model (the original scale depends on the data).
        """
        return PriorSet(self._require_design(), self.priors).table()

    def diagnostics(self) -> Diagnostics:
        """Convergence and identification report, with a verdict.

        Convergence: R-hat, effective sample size and divergences.
        Identification (:attr:`Diagnostics.identification`): effects whose
        posterior is close to their prior, that rest on a few units, or whose
        lag the data cannot tell from its neighbours.
        """
        return self.fitted.diagnostics

    def effects(
        self,
        hdi_prob: float = 0.9,
        rope: float | Mapping[str, float] = summaries.DEFAULT_ROPE,
        standardised: bool = False,
    ) -> pd.DataFrame:
        """Every link and intervention effect on the original scale of its stages.

        Each effect is judged against a region of practical equivalence
        (ROPE): effects smaller than it do not matter for decisions. An
        interval inside it is a *break* in the chain (the data rule out an
        effect of practical size); an interval that overlaps its edge is
        *unclear* (the data say too little), which an interval covering zero
        alone cannot tell apart.

        Parameters
        ----------
        hdi_prob
            Probability mass of the highest-density interval.
        rope
            Half-width of the region of practical equivalence. A number is
            standardised: a one-SD change of the source (a full rollout, for
            an intervention) moving the target by less than ``rope`` target
            SDs is negligible (0.1 by default). A mapping gives it per label
            in the effect's own units, for example ``{"engagement -> nps":
            0.2}`` (NPS points per engagement point) or ``{"coaching ->
            engagement": 1.0}`` (engagement points); the others keep the
            default.
        standardised
            Also give each link in SDs of its target per SD of its source,
            and each intervention effect in SDs of its target (columns
            ``std_mean``, ``std_lower``, ``std_upper``), as SEM tools'
            standardised solutions do. A construct's SD is its true values'
            across units and periods, per draw; another stage's is its
            data's.

        Returns
        -------
        pandas.DataFrame
            One row per link, intervention effect and moderation, with
            ``kind``, ``source``, ``target``, ``lag``, ``mean``, ``sd``,
            ``lower``, ``upper``, ``p_positive``, ``r_hat``, ``ess_bulk``,
            ``covers_zero`` (the interval holds 0), ``rope`` (the half-width,
            in the effect's units), ``p_practical`` (posterior probability
            that the effect's size exceeds it) and ``verdict``: ``"effect"``,
            ``"break"`` or ``"unclear"``.
        """
        return summaries.effects_table(
            self.chain,
            self._require_idata(),
            hdi_prob,
            self._require_design(),
            rope,
            standardised=standardised,
        )

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

    def reliability(self, hdi_prob: float = 0.9) -> pd.DataFrame:
        """Per survey stage, the share of its within-unit variation that is signal.

        See :mod:`exlink.models.reliability` for the formula. Needs a built
        model; a fitted one gives intervals where the response SD is
        estimated.

        Returns
        -------
        pandas.DataFrame
            One row per survey stage (none without surveys), with the median
            responses, the SD of one response, the sampling and within-unit
            SDs of a value, the reliability with its interval, the responses
            per value that would reach a reliability of 0.8, and ``low``.
        """
        posterior = None if self.idata is None else self.idata.posterior.to_dataset()
        return reliability_table(self._require_design(), posterior, hdi_prob)

    def measurement(self, hdi_prob: float = 0.9) -> Measurement:
        """Each construct's loadings, item intercepts and SDs, reliability (omega) and AVE.

        See :mod:`exlink.models.measurement` for the formulas. Needs a fitted
        model whose chain has a :class:`~exlink.Construct`.

        Returns
        -------
        Measurement
            ``items`` (one row per item), ``constructs`` (one row per
            construct) and ``warnings`` on weak items and unreliable constructs.
        """
        return measurement_table(
            self._require_design(), self._require_idata().posterior.to_dataset(), hdi_prob
        )

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
        chain, priors, panel, idata, experiments, pilots = io.load(Path(path))
        model = cls(chain, priors)
        model.experiments = list(experiments)
        model.pilots = list(pilots)
        model.panel, model.idata = panel, idata
        return model

    # -- helpers -----------------------------------------------------------------------------
    def _store_prior_draws(self, random_seed: int | None) -> None:
        """Keep prior draws of the effects beside the posterior, to judge identification."""
        prior = draw_priors(self._model, random_seed)
        if prior is not None:
            self.idata["prior"] = prior

    def _require_design(self) -> ChainDesign:
        if self._design is None and self.panel is not None:
            self._design = ChainDesign(self.chain, self.panel)
            if self.idata is not None and _direct_unit_effects(self.idata):
                self._design.term_means = None
            if self.idata is not None and not _latent_source_levels(self.idata):
                self._design.latent_source_levels = False
        if self._design is None:
            raise RuntimeError("the model is not built yet: call model.build(panel) or fit(panel).")
        return self._design

    def _require_model(self) -> pm.Model:
        if self._model is None:
            if self.panel is None:
                raise RuntimeError("the model is not built yet: call model.build(panel).")
            design = self._require_design()
            self._model, self._mu = build_graph(
                design, PriorSet(design, self.priors), self.experiments
            )
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
        raw = design.original_values()
        design.means, design.sds, design.central = fitted.means, fitted.sds, fitted.central
        # Unit effects are sampled through these means: the draws' unit effects need the
        # fitted ones.
        design.term_means = fitted.term_means
        design.latent_source_levels = fitted.latent_source_levels
        design.y = (raw - fitted.means[:, None, None]) / fitted.sds[:, None, None]
        design.constructs = {
            name: term.restated(fitted.constructs[name]) for name, term in design.constructs.items()
        }
        design.surveys = survey_terms(design, panel)
        return design

    def __repr__(self) -> str:
        state = "fitted" if self.idata is not None else "built" if self._model else "not built"
        return f"ChainModel ({state})\n{self.chain!r}"


def _drawn(model: pm.Model, posterior: xr.Dataset) -> list[str]:
    """The model's free variables that the posterior holds draws of.

    Predictions keep them at their draws. Named to PyMC as frozen: given the
    posterior alone, it cannot tell that the data they depend on (the fitted
    term means of the unit levels) are the fitted data, and would warn.
    """
    return [v.name for v in model.free_RVs if v.name in posterior.data_vars]


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


def _direct_unit_effects(idata: xr.DataTree) -> bool:
    """Whether the draws sampled the unit effects directly: a model saved before unit levels.

    Its graph is built the same way, so its draws are read as they were
    sampled (the two parametrisations are the same model).
    """
    if "posterior" not in idata.children:
        return False
    posterior = idata.posterior
    return "unit_effect" in posterior.data_vars and LEVEL not in posterior.data_vars


def _latent_source_levels(idata: xr.DataTree) -> bool:
    """Whether the draws' levels follow their latent sources' (a model fitted since they do).

    A model saved before then is read as it was sampled, its levels
    following survey means (:mod:`exlink.models.levels`).
    """
    if "posterior" not in idata.children:
        return True
    return bool(idata.posterior.attrs.get(LATENT_SOURCE_LEVELS, 0))
