"""The PyMC graph of a chain model.

For stage ``j``, unit ``u``, period ``t``, all on the stage's standardised scale::

    mu[j,u,t] = intercept[j] + unit_sd[j] * a[j,u] + period_sd[j] * tau[j,t]
                + sum over links p -> j   (beta + link_moderation * z[u]) * f(y[p,u,t-lag])
                + sum over effects k -> j (gamma + effect_moderation * z[u]) * e[k,u,t]
    y[j,u,t] ~ Normal(mu, sigma[j])  or  StudentT(nu[j], mu, sigma[j])

In a cross-section (a panel of one period) there are no unit or period
effects. A survey stage's or a construct's true values stand in for ``y``
where it is a link's source (:mod:`exlink.models.latent`,
:mod:`exlink.models.item_graph`).

``a[j]`` and ``tau[j]`` are zero-sum normals with spreads ``unit_sd[j]`` and
``period_sd[j]``, so unit and period effects are identified apart from the
intercept. Unit effects are centred (many periods per unit pin each one down,
where a centred form samples best) and sampled through each unit's level, its
unit effect plus what its links and effects contribute on average, which frees
them from the slopes (:mod:`exlink.models.unit_levels`); period effects are
centred when many units inform each period and non-centred otherwise
(:mod:`exlink.models.period_effects`); where a link leaves a latent stage, the
target's levels follow the source's (:mod:`exlink.models.levels`). ``f`` is the
link's curve (:func:`exlink.transforms.link_curve`: the source itself for a
linear link; for a curved one anchored at the source's mean, with an average
slope of 1 across the source's central range, so ``beta`` is the link's
average effect where the data are). ``e`` is
the exposure of :mod:`exlink.transforms` with estimated adoption and fade
rates. Pooled
intervention effects are ``gamma ~ Normal(lever_mean[lever], lever_sd[lever])``,
sampled in an exact reparametrisation (see ``_effects``) so that a lever with
one or two interventions does not form a funnel.
Missing stage values that feed a link are imputed: they get the stage's
likelihood where its expected value is defined, and a standard normal (the
stage's own spread) in the leading periods where it is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from exlink.dims import (
    BETA,
    EFFECT,
    EFFECT_MODERATION,
    FADING,
    GAMMA,
    INTERVENTION,
    ITEM,
    LEVER,
    LINK,
    LINK_MODERATION,
    LOADED_ITEM,
    MODERATED_EFFECT,
    MODERATED_LINK,
    NONLINEAR_LINK,
    PERIOD,
    RAMPED,
    STAGE,
    UNIT,
    standardised,
)
from exlink.models.design import ChainDesign
from exlink.models.experiments import Experiment, implied_lift
from exlink.models.item_graph import ItemParameters, item_likelihood, item_reading
from exlink.models.latent import (
    conditional_values,
    folded_input,
    latent_likelihood,
    latent_values,
    measurement_weights,
)
from exlink.models.levels import level_sources
from exlink.models.period_effects import period_effects, period_level_links
from exlink.models.prior_set import PriorSet
from exlink.models.survey_filter import integrate_group
from exlink.models.unit_levels import Term, unit_effects
from exlink.transforms import link_curve_tensor, ramped_exposure_tensor, rising

STAGE_DATA = "stage_values"
ROLLOUT_DATA = "rollouts"
STAGE_SDS = "stage_sds"
TERM_MEANS = "term_unit_means"


def build_graph(
    design: ChainDesign, priors: PriorSet, experiments: Sequence[Experiment] = ()
) -> tuple[pm.Model, dict[str, pt.TensorVariable]]:
    """Build the PyMC model of a chain on a panel.

    Each experiment adds one observation of its lift (see
    :mod:`exlink.models.experiments`).

    Returns
    -------
    model : pymc.Model
    mu : dict
        Stage name -> expected values on the standardised scale, shape
        ``(units, periods)``, for predictions.
    """
    coords = design.coords()
    n_units = design.shape[0]
    with pm.Model(coords=coords) as model:
        values = pm.Data(STAGE_DATA, np.nan_to_num(design.y), dims=(STAGE, UNIT, PERIOD))
        rollouts = pm.Data(ROLLOUT_DATA, design.rollouts, dims=(INTERVENTION, UNIT, PERIOD))
        intercept = _group("intercept", priors, STAGE, coords)
        sigma = _group("sigma", priors, STAGE, coords)
        nu = _group("nu", priors, "student_t", coords) if coords["student_t"] else None
        if design.cross_sectional:
            # One period: a unit's effect and its residual are one and the same.
            unit_effect = pt.zeros((len(coords[STAGE]), n_units))
            period_effect = pt.zeros((len(coords[STAGE]), 1))
        else:
            unit_sd = _group("unit_sd", priors, STAGE, coords)
            period_sd = _group("period_sd", priors, STAGE, coords)
            # Period levels that follow a latent source's need its slope: built below.
            period_links = period_level_links(design)
            period_effect = None if period_links else period_effects(period_sd, design, coords)

        beta = _group(BETA, priors, LINK, coords)
        nonlinear = {label: i for i, label in enumerate(coords[NONLINEAR_LINK])}
        reference = _group("reference", priors, NONLINEAR_LINK, coords) if nonlinear else None
        curvature = _group("curvature", priors, NONLINEAR_LINK, coords) if nonlinear else None
        moderated_links = {label: i for i, label in enumerate(coords[MODERATED_LINK])}
        link_moderation = (
            _group(LINK_MODERATION, priors, MODERATED_LINK, coords) if moderated_links else None
        )
        gamma = _effects(design, priors, coords)
        moderated_effects = {label: i for i, label in enumerate(coords[MODERATED_EFFECT])}
        effect_moderation = (
            _group(EFFECT_MODERATION, priors, MODERATED_EFFECT, coords)
            if moderated_effects
            else None
        )
        exposures, ramps = _exposures(design, priors, coords, rollouts)
        _original_scale(design, beta, gamma, link_moderation, effect_moderation, coords)

        z = {name: pt.as_tensor(m.z)[:, None] for name, m in design.moderators.items()}
        response_sd = (
            _group("response_sd", priors, "survey_estimated", coords)
            if coords["survey_estimated"]
            else None
        )
        measurement = measurement_weights(design, coords, response_sd)
        items = (
            ItemParameters(
                _group("loading", priors, LOADED_ITEM, coords),
                _group("item_intercept", priors, LOADED_ITEM, coords),
                _group("item_sd", priors, ITEM, coords),
            )
            if design.constructs
            else None
        )
        index = {name: j for j, name in enumerate(design.stage_names)}
        order = design.chain.topological_order()
        position = {index[name]: p for p, name in enumerate(order)}

        def slope(i, term):
            value = beta[i]
            if term.moderator:
                value = value + link_moderation[moderated_links[term.label]] * z[term.moderator]
            return value

        def link_term(i, term, full):
            shifted = _shift(full[term.source], term.lag, n_units)
            if term.label in nonlinear:
                k = nonlinear[term.label]
                low, high = design.central[term.source]
                shifted = link_curve_tensor(
                    term.form, shifted, reference[k], curvature[k], low, high
                )
            return slope(i, term) * shifted

        def effect_slope(i, term):
            value = gamma[i]
            if term.moderator:
                value = value + effect_moderation[moderated_effects[term.label]] * z[term.moderator]
            return value

        if not design.cross_sectional:
            if period_effect is None:
                period_effect = period_effects(
                    period_sd,
                    design,
                    coords,
                    {i: slope(i, design.links[i]) for i in period_links},
                    [index[name] for name in order],
                )
            terms = _level_terms(design, slope, effect_slope)
            unit_effect = unit_effects(
                unit_sd, terms, len(coords[STAGE]), n_units, [index[name] for name in order]
            )

        later = {k for group in design.integrated for k in group.folded if design.is_sampled(k)}

        def true_values(j, name, mu):
            """Sampled true values of a construct (read by its items) or a survey stage."""
            if design.is_construct(j):
                reading, precision = item_reading(design, name, items)
                return conditional_values(design, j, name, mu, sigma[j], reading, precision)
            return latent_values(design, j, name, mu, sigma[j], values[j], measurement[j])

        def ahead(term) -> bool:
            """The link's source values exist before its target's expected value is built."""
            if term.source in later:
                return False
            return (
                not design.is_sampled(term.source) or position[term.source] < position[term.target]
            )

        # Observed stages exist first, missing cells imputed: a lagged link may point back
        # up the chain (nps -> engagement (lag 1)). A sampled survey stage's true values are
        # built in chain order, centred on its expected value from what exists by then;
        # links from it back up the chain are added once every stage's values exist.
        # Links out of integrated survey stages are added by their group's filter. A
        # folded target's sampled true values come after its group's filter, which
        # gives the group's input to them.
        full = {
            j: _impute(design, j, name, values[j])
            for j, name in enumerate(design.stage_names)
            if not design.is_latent(j)
        }
        base: dict[int, pt.TensorVariable] = {}
        for name in order:
            j = index[name]
            mu = intercept[j] + unit_effect[j][:, None] + period_effect[j][None, :]
            for i, term in enumerate(design.links):
                if term.target == j and not design.is_integrated(term.source) and ahead(term):
                    mu = mu + link_term(i, term, full)
            for i, term in enumerate(design.effects):
                if term.target == j:
                    mu = mu + effect_slope(i, term) * exposures[term.intervention]
            base[j] = mu
            if design.is_sampled(j) and j not in later:
                full[j] = true_values(j, name, mu)

        def add_links_back(sources) -> None:
            for name in order:
                j = index[name]
                for i, term in enumerate(design.links):
                    if (
                        term.target == j
                        and term.source in sources
                        and not design.is_integrated(term.source)
                        and not ahead(term)
                    ):
                        base[j] = base[j] + link_term(i, term, full)

        add_links_back(set(range(len(design.stage_names))) - later)
        filtered = {}
        expected = dict(full)
        # A folded target's input from its group: in its equation, not in its predictions,
        # which take the integrated true values at their expected values, as for any target.
        inputs: dict[int, pt.TensorVariable] = {}
        for group in design.integrated:
            result = integrate_group(
                design,
                group,
                base,
                sigma,
                {i: slope(i, design.links[i]) for i in group.links},
                {j: full.get(j, values[j]) for j in group.order},
                measurement,
            )
            filtered |= {j: (result.mean[j], result.variance[j]) for j in group.order}
            expected |= result.expected
            for k in group.folded:
                name = design.stage_names[k]
                inputs[k] = folded_input(design, k, name, *filtered.pop(k))
                if k in later:
                    full[k] = true_values(k, name, base[k] + inputs[k])
        add_links_back(later)
        if design.constructs:
            item_likelihood(design, full, items)
        mu_out: dict[str, pt.TensorVariable] = {}
        for name in order:
            j = index[name]
            mu = base[j]
            for i, term in enumerate(design.links):
                if term.target == j and design.is_integrated(term.source):
                    mu = mu + link_term(i, term, expected)
            mu_out[name] = mu
            equation = base[j] + inputs[j] if j in inputs else base[j]
            student = coords["student_t"]
            stage_nu = nu[student.index(name)] if name in student else None
            if j in filtered:
                _filtered_likelihood(
                    design, j, name, *filtered[j], values[j], full.get(j), measurement.get(j)
                )
            elif design.is_sampled(j):
                latent_likelihood(design, j, name, equation, sigma[j], stage_nu, full[j])
            else:
                _likelihood(
                    design,
                    j,
                    name,
                    equation,
                    sigma[j],
                    stage_nu,
                    values[j],
                    full[j],
                    measurement.get(j),
                )
        params = {
            "beta": beta,
            "gamma": gamma,
            "reference": reference,
            "curvature": curvature,
            "link_moderation": link_moderation,
            "effect_moderation": effect_moderation,
            "ramp": ramps,
        }
        for n, experiment in enumerate(experiments):
            scale = design.sds[design.stage_names.index(experiment.stage)]
            pm.Normal(
                f"experiment[{n}]",
                mu=implied_lift(design, experiment, params),
                sigma=experiment.se / scale,
                observed=experiment.lift / scale,
            )
    return model, mu_out


def _group(name: str, priors: PriorSet, dim: str, coords: dict) -> pt.TensorVariable:
    """A vector of one prior group; elements with their own prior become scalars."""
    overrides = priors.overrides(name)
    if not overrides:
        return priors.group(name).create(standardised(name), dims=dim)
    parts = [
        overrides.get(label, priors.group(name)).create(f"{standardised(name)}[{label}]")
        for label in coords[dim]
    ]
    return pm.Deterministic(standardised(name), pt.stack(parts), dims=dim)


def _effects(design: ChainDesign, priors: PriorSet, coords: dict) -> pt.TensorVariable:
    """Intervention effects; pooled ones drawn from their lever's population.

    Within a lever, ``gamma_i ~ Normal(lever_mean, lever_sd)``. With a Normal
    prior ``Normal(m0, s0)`` on ``lever_mean`` the model is sampled in an exact
    reparametrisation without the funnel that levers with one or two effects
    make: given ``lever_sd``, the lever's effects are jointly
    ``MvNormal(m0, lever_sd**2 I + s0**2 J)`` and ``lever_mean`` is drawn from
    its normal conditional, non-centred.
    """
    labels = coords[EFFECT]
    if not labels:
        return pt.zeros(0)
    pooled = priors.pooled_effects()
    if not pooled:
        return _group(GAMMA, priors, EFFECT, coords)
    lever_sd = _group("lever_sd", priors, LEVER, coords)
    overrides = priors.overrides("gamma")
    gamma = [None] * len(labels)
    for i, label in enumerate(labels):
        if label not in pooled:
            gamma[i] = overrides.get(label, priors.group("gamma")).create(
                f"{standardised(GAMMA)}[{label}]"
            )
    means = []
    for l_index, lever in enumerate(coords[LEVER]):
        members = [
            i for i, e in enumerate(design.effects) if e.lever == lever and e.label in pooled
        ]
        mean_prior = priors.overrides("lever_mean").get(lever, priors.group("lever_mean"))
        tau = lever_sd[l_index]
        if mean_prior.distribution != "Normal" or not members:
            mean = mean_prior.create(f"{standardised('lever_mean')}[{lever}]")
            for i in members:
                gamma[i] = pm.Normal(f"{standardised(GAMMA)}[{labels[i]}]", mean, tau)
            means.append(mean)
            continue
        m0, s0 = mean_prior.params.get("mu", 0.0), mean_prior.params.get("sigma", 1.0)
        n = len(members)
        if n == 1:
            draws = pm.Normal(f"{standardised(GAMMA)}[{lever}]", m0, pt.sqrt(tau**2 + s0**2))[None]
        else:
            cov = tau**2 * pt.eye(n) + s0**2 * pt.ones((n, n))
            draws = pm.MvNormal(f"{standardised(GAMMA)}[{lever}]", mu=np.full(n, m0), cov=cov)
        for position, i in enumerate(members):
            gamma[i] = draws[position]
        precision = 1.0 / s0**2 + n / tau**2
        center = (m0 / s0**2 + draws.sum() / tau**2) / precision
        offset = pm.Normal(f"lever_mean_offset[{lever}]", 0.0, 1.0)
        means.append(center + offset / pt.sqrt(precision))
    pm.Deterministic(standardised("lever_mean"), pt.stack(means), dims=LEVER)
    return pm.Deterministic(standardised(GAMMA), pt.stack(gamma), dims=EFFECT)


def _exposures(design: ChainDesign, priors: PriorSet, coords: dict, rollouts) -> tuple:
    """Each intervention's exposure, and its adoption rate tensor by name (ramped ones)."""
    ramp = _group("ramp", priors, RAMPED, coords) if coords[RAMPED] else None
    fade = _group("fade", priors, FADING, coords) if coords[FADING] else None
    ramps = {name: ramp[i] for i, name in enumerate(coords[RAMPED])}
    out = []
    for i, k in enumerate(design.chain.interventions):
        k_ramp = ramp[coords[RAMPED].index(k.name)] if k.ramp else pt.constant(1.0)
        k_fade = fade[coords[FADING].index(k.name)] if k.fade else k_ramp
        if not k.ramp and not k.fade:
            out.append(rollouts[i])
        else:
            out.append(
                ramped_exposure_tensor(
                    rollouts[i],
                    k_ramp,
                    k_fade,
                    n_periods=design.shape[1],
                    pattern=rising(design.rollouts[i]),
                )
            )
    return out, ramps


def _original_scale(design, beta, gamma, link_moderation, effect_moderation, coords) -> None:
    """Deterministics of every effect on the original scale of its stages.

    The stages' standard deviations are data (:data:`STAGE_SDS`), not constants,
    so a panel of the same shape compiles to the same functions
    (:mod:`exlink.models.compiled_models`).
    """
    sds = pm.Data(STAGE_SDS, design.sds, dims=STAGE)
    targets = np.array([t.target for t in design.links], dtype=int)
    sources = np.array([t.source for t in design.links], dtype=int)
    link_factor = sds[targets] / sds[sources]
    pm.Deterministic(BETA, beta * link_factor, dims=LINK)
    if coords[EFFECT]:
        effect_targets = np.array([e.target for e in design.effects], dtype=int)
        pm.Deterministic(GAMMA, gamma * sds[effect_targets], dims=EFFECT)
    if link_moderation is not None:
        moderated = np.array([i for i, t in enumerate(design.links) if t.moderator], dtype=int)
        pm.Deterministic(
            LINK_MODERATION, link_moderation * link_factor[moderated], dims=MODERATED_LINK
        )
    if effect_moderation is not None:
        moderated = np.array([e.target for e in design.effects if e.moderator], dtype=int)
        pm.Deterministic(
            EFFECT_MODERATION, effect_moderation * sds[moderated], dims=MODERATED_EFFECT
        )


def _level_terms(design: ChainDesign, slope, effect_slope) -> list[Term]:
    """Every link and effect term, with each unit's mean of what its slope multiplies.

    The means are the design's :attr:`~ChainDesign.term_means`, held as data
    (:data:`TERM_MEANS`). See :mod:`exlink.models.unit_levels`.
    """
    if design.term_means is None:
        return []
    slopes = [slope(i, term) for i, term in enumerate(design.links)]
    slopes += [effect_slope(i, term) for i, term in enumerate(design.effects)]
    if not slopes:
        return []
    targets = [term.target for term in (*design.links, *design.effects)]
    means = pm.Data(TERM_MEANS, design.term_means)
    sources = level_sources(design)
    return [
        Term(j, b, None, sources[k]) if k in sources else Term(j, b, means[k])
        for k, (j, b) in enumerate(zip(targets, slopes, strict=True))
    ]


def _shift(source, lag: int, n_units: int):
    if lag == 0:
        return source
    return pt.concatenate([pt.zeros((n_units, lag)), source[:, :-lag]], axis=1)


def _impute(design: ChainDesign, j: int, name: str, values) -> pt.TensorVariable:
    cells = design.imputed_cells(j)
    if not len(cells):
        return values
    missing = pm.Normal(f"missing[{name}]", 0.0, 1.0, shape=len(cells))
    return pt.set_subtensor(values.ravel()[cells], missing).reshape(design.shape)


def _likelihood(design, j, name, mu, sigma, nu, values, full, weights=None) -> None:
    def dist(mu_cells):
        if nu is None:
            return pm.Normal.dist(mu=mu_cells, sigma=sigma)
        return pm.StudentT.dist(nu=nu, mu=mu_cells, sigma=sigma)

    observed = design.observed_cells(j)
    mu_flat = mu.ravel()
    rv = pm.Normal if nu is None else pm.StudentT
    spread = sigma
    if weights is not None:
        # A survey mean whose true value is integrated out: the stage's own noise plus
        # the sampling error of the mean.
        spread = pt.sqrt(sigma**2 + 1.0 / weights.ravel()[observed])
    params = {"mu": mu_flat[observed], "sigma": spread} | ({"nu": nu} if nu is not None else {})
    if len(observed):
        rv(f"y[{name}]", **params, observed=values.ravel()[observed], shape=len(observed))
    cells = design.imputed_cells(j)
    modelled = design.modelled(j).ravel()[cells]
    if modelled.any():
        # The placeholder N(0, 1) prior of these imputed values is replaced by the likelihood.
        imputed = full.ravel()[cells[modelled]]
        logp = pm.logp(dist(mu_flat[cells[modelled]]), imputed) - pm.logp(
            pm.Normal.dist(0.0, 1.0), imputed
        )
        pm.Potential(f"imputation[{name}]", logp.sum())


def _filtered_likelihood(design, j, name, mean, variance, values, full, weights) -> None:
    """A stage of an integrated group: its values given those before it in the group."""
    observed = design.observed_cells(j)
    spread = variance.ravel()[observed]
    if design.is_latent(j):
        # The survey mean of the integrated true value.
        spread = spread + 1.0 / weights.ravel()[observed]
    mean_flat = mean.ravel()
    pm.Normal(
        f"y[{name}]",
        mu=mean_flat[observed],
        sigma=pt.sqrt(spread),
        observed=values.ravel()[observed],
        shape=len(observed),
    )
    cells = design.imputed_cells(j)
    modelled = design.modelled(j).ravel()[cells]
    if modelled.any():
        inside = cells[modelled]
        imputed = full.ravel()[inside]
        logp = pm.logp(
            pm.Normal.dist(mu=mean_flat[inside], sigma=pt.sqrt(variance.ravel()[inside])), imputed
        ) - pm.logp(pm.Normal.dist(0.0, 1.0), imputed)
        pm.Potential(f"imputation[{name}]", logp.sum())
