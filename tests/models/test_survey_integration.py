"""Survey stages' true values integrated out exactly: which ones, and that it is exact.

The sampled form (one true value per unit and period) is the reference: for
any value of the other parameters, the integrated model's log density must be
the log of the sampled model's density integrated over the true values. That
density is Gaussian in the true values, so the integral is exact by Laplace's
formula: ``logp(z*) + d/2 log(2 pi) - 1/2 log det(-H)`` at its mode ``z*``.
"""

import copy
from dataclasses import dataclass

import numpy as np
import pytest

import exlink as xl
from exlink.models.graph import build_graph
from exlink.models.integration import integrated_groups
from exlink.models.prior_set import PriorSet
from exlink.spec import Chain, Intervention, Link, Stage

SURVEYS = xl.datasets.SURVEY_CHAIN_TRUTH


@dataclass
class L:
    source: int
    target: int
    lag: int = 0
    form: str = "linear"


def test_a_linear_chain_of_survey_stages_is_integrated_in_one_group():
    # engagement (0) -> customer (1) -> growth (2, lag 1), both surveys latent
    groups = integrated_groups([L(0, 1), L(1, 2, lag=1)], latent={0, 1}, student=set())
    assert len(groups) == 1
    group = groups[0]
    assert group.latent == {0, 1} and group.order == (0, 1, 2)
    assert dict(group.offsets) == {0: 0, 1: 0, 2: 1} and group.span == 1


def test_lags_that_do_not_line_up_or_autoregression_keep_stages_sampled():
    # An autoregression couples every period of a unit.
    assert integrated_groups([L(0, 0, lag=1), L(0, 1)], latent={0}, student=set()) == ()
    # Two paths of different lag from 0 to 2: sampling 0 lets 1 be integrated.
    links = [L(0, 1), L(1, 2), L(0, 2, lag=1)]
    (group,) = integrated_groups(links, latent={0, 1}, student=set())
    assert group.latent == {1} and group.order == (1, 2)
    # Where every stage is latent, sampling one stage in the middle breaks the conflict
    # but keeps fewer integrated than sampling the stage where the paths split.
    links = [L(0, 1), L(1, 2), L(0, 2, lag=1), L(2, 3)]
    (group,) = integrated_groups(links, latent={0, 1, 2}, student=set())
    assert group.latent == {1, 2} and group.offsets == {1: 0, 2: 0, 3: 0}
    # A curved link out, or a Student-t likelihood of its own, is not Gaussian.
    assert integrated_groups([L(0, 1, form="saturating")], latent={0}, student=set()) == ()
    assert integrated_groups([L(0, 1)], latent={0}, student={0}) == ()


def test_a_sampled_latent_target_and_integrated_stages_around_it():
    # 1 is latent with an autoregression: sampled; 0 is integrated and 1 takes its input
    # as one sampled value per cell (a folded target).
    links = [L(0, 1), L(1, 1, lag=1), L(1, 2)]
    (group,) = integrated_groups(links, latent={0, 1}, student=set())
    assert group.latent == {0} and group.folded == {1} and group.order == (0, 1)
    # An autoregressive stage is sampled, and the stages it feeds are still integrated.
    links = [L(0, 0, lag=1), L(0, 1), L(1, 2), L(2, 3, lag=1), L(0, 4, lag=1)]
    (group,) = integrated_groups(links, latent={0, 1, 2}, student=set())
    assert group.latent == {1, 2} and group.order == (1, 2, 3)
    assert dict(group.offsets) == {1: 0, 2: 0, 3: 1}
    # Independent groups are kept apart.
    links = [L(0, 1), L(2, 3, lag=2)]
    groups = integrated_groups(links, latent={0, 2}, student=set())
    assert sorted(g.order for g in groups) == [(0, 1), (2, 3)]
    assert {g.span for g in groups} == {0, 2}


def _sim(chain, surveys, truth_links, n_units=4, n_periods=7, seed=3, **extra):
    return xl.datasets.make_service_chain(
        n_units,
        n_periods,
        seed=seed,
        chain=chain,
        stages=SURVEYS["stages"],
        links=truth_links,
        interventions=SURVEYS["interventions"],
        surveys=surveys,
        **extra,
    )


def _stages():
    return [Stage("engagement", "ex"), Stage("customer", "cx"), Stage("growth", "financial")]


PROGRAMME = [Intervention("programme", "engagement", lever="people")]

CASES = {
    "survey chain, missing values, an estimated response SD": (
        xl.datasets.SURVEY_CHAIN,
        {
            "engagement": {"responses": 6, "sd": 14},
            "customer": {"responses": 9, "sd": 18, "report_sd": False},
        },
        SURVEYS["links"],
        {"missing_rate": 0.15},
    ),
    "one latent stage feeding two, one of them a survey stage": (
        Chain(
            stages=_stages(),
            links=[Link("engagement", "customer"), Link("engagement", "growth", lag=1)],
            interventions=PROGRAMME,
        ),
        {"engagement": {"responses": 5, "sd": 14}, "customer": {"responses": 9, "sd": 18}},
        {"engagement -> customer": 0.5, "engagement -> growth (lag 1)": 0.1},
        {},
    ),
    "a lagged link between latent stages, a target imputed": (
        Chain(
            stages=_stages(),
            links=[
                Link("engagement", "customer", lag=1),
                Link("customer", "growth"),
                Link("growth", "engagement", lag=2),
            ],
            interventions=PROGRAMME,
        ),
        {"engagement": {"responses": 5, "sd": 14}, "customer": {"responses": 9, "sd": 18}},
        {
            "engagement -> customer (lag 1)": 0.5,
            "customer -> growth": 0.2,
            "growth -> engagement (lag 2)": 0.3,
        },
        {"missing_rate": {"growth": 0.2, "customer": 0.1}},
    ),
    "several survey stages with a common source feeding one (pillars to NPS)": (
        Chain(
            stages=[*_stages(), Stage("speed", "cx"), Stage("care", "cx"), Stage("loyalty", "cx")],
            links=[
                Link("engagement", "speed"),
                Link("engagement", "care"),
                Link("engagement", "customer"),
                Link("speed", "loyalty"),
                Link("care", "loyalty"),
                Link("customer", "loyalty"),
                Link("care", "growth", lag=1),
                Link("loyalty", "growth", lag=1),
            ],
            interventions=PROGRAMME,
        ),
        {
            "engagement": {"responses": 5, "sd": 14},
            "speed": {"responses": 9, "sd": 12},
            "care": {"responses": 9, "sd": 12},
            "customer": {"responses": 9, "sd": 18},
            "loyalty": {"responses": 7, "sd": 15},
        },
        {
            "engagement -> speed": 0.4,
            "engagement -> care": 0.3,
            "engagement -> customer": 0.5,
            "speed -> loyalty": 0.3,
            "care -> loyalty": 0.2,
            "customer -> loyalty": 0.4,
            "care -> growth (lag 1)": 0.1,
            "loyalty -> growth (lag 1)": 0.2,
        },
        {"missing_rate": {"care": 0.1, "loyalty": 0.1}},
    ),
    "an autoregressive survey stage, sampled, feeding integrated ones": (
        Chain(
            stages=[*_stages(), Stage("loyalty", "customer")],
            links=[
                Link("engagement", "engagement", lag=1),
                Link("engagement", "customer"),
                Link("customer", "loyalty"),
                Link("loyalty", "growth", lag=1),
            ],
            interventions=PROGRAMME,
        ),
        {
            "engagement": {"responses": 5, "sd": 14},
            "customer": {"responses": 9, "sd": 18},
            "loyalty": {"responses": 7, "sd": 12},
        },
        {
            "engagement -> engagement (lag 1)": 0.3,
            "engagement -> customer": 0.5,
            "customer -> loyalty": 0.4,
            "loyalty -> growth (lag 1)": 0.2,
        },
        {"missing_rate": {"customer": 0.1}},
    ),
}


PILLARS = "several survey stages with a common source feeding one (pillars to NPS)"
SLOW_CASES = {"an autoregressive survey stage, sampled, feeding integrated ones", PILLARS}


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_CASES else c for c in CASES],
)
def test_integrating_true_values_out_is_exact(case):
    chain, surveys, links, extra = CASES[case]
    sim = _sim(chain, surveys, links, **extra)
    design = xl.ChainModel(chain).build(sim.panel()).design
    assert design.integrated, "the case must integrate something"
    sampled = copy.copy(design)
    sampled.integrated = ()
    integrated_model, _ = build_graph(design, PriorSet(design))
    sampled_model, _ = build_graph(sampled, PriorSet(sampled))

    integrated = {
        f"latent_raw[{design.stage_names[j]}]" for g in design.integrated for j in g.latent
    }
    latent = [v for v in sampled_model.free_RVs if v.name in integrated]
    assert {v.name for v in latent} == integrated
    still_sampled = {
        v.name for v in sampled_model.free_RVs if v.name.startswith("latent_raw[")
    } - integrated
    assert {
        v.name for v in integrated_model.free_RVs if v.name.startswith("latent_raw[")
    } == still_sampled

    rng = np.random.default_rng(0)
    log_integral = _log_integral(sampled_model, latent)
    integrated_logp = integrated_model.compile_logp()
    for _ in range(3):
        point = {
            k: v + rng.normal(0.0, 0.3, np.shape(v))
            for k, v in sampled_model.initial_point().items()
        }
        shared = {k: v for k, v in point.items() if k not in integrated}
        assert integrated_logp(shared) == pytest.approx(log_integral(point), abs=1e-6)


def _log_integral(model, latent):
    """``log`` of the model's density integrated over the ``latent`` values (Gaussian in them)."""
    names = [v.name for v in latent]
    logp = model.compile_logp()
    gradient = model.compile_dlogp(vars=latent)
    hessian = model.compile_d2logp(vars=latent, negate_output=False)
    return lambda point: _laplace(point, names, logp, gradient, hessian)


def _laplace(point, names, logp, gradient, hessian) -> float:
    shapes = [np.shape(point[n]) for n in names]
    sizes = [int(np.prod(s)) for s in shapes]

    def with_values(z):
        out, start = dict(point), 0
        for name, shape, size in zip(names, shapes, sizes, strict=True):
            out[name] = z[start : start + size].reshape(shape)
            start += size
        return out

    z0 = np.concatenate([np.ravel(point[n]) for n in names])
    precision = -np.asarray(hessian(with_values(z0)))
    mode = z0 + np.linalg.solve(precision, gradient(with_values(z0)))
    assert np.abs(gradient(with_values(mode))).max() < 1e-6
    sign, logdet = np.linalg.slogdet(precision)
    assert sign > 0
    return float(logp(with_values(mode)) + len(z0) / 2 * np.log(2 * np.pi) - logdet / 2)


def test_folding_true_values_out_of_the_state_changes_no_prediction():
    import pytensor
    import pytensor.tensor as pt

    from exlink.models import survey_filter

    chain, surveys, links, extra = CASES[PILLARS]
    design = xl.ChainModel(chain).build(_sim(chain, surveys, links, **extra).panel()).design
    (group,) = design.integrated
    rng = np.random.default_rng(1)

    def grid():
        return pt.as_tensor(rng.normal(size=design.shape))

    run = survey_filter._Pass(
        design,
        group,
        survey_filter._Grid(design, group),
        survey_filter._children(design, group, {i: rng.normal() for i in group.links}),
        {s: grid() for s in group.order},
        pt.as_tensor(rng.uniform(0.5, 1.5, len(design.stage_names))),
        {s: grid() for s in group.order},
        {s: pt.as_tensor(rng.uniform(0.2, 3.0, design.shape)) for s in group.latent},
    )
    folded_mean, folded_variance, _ = run(fold=True)
    folded_size = run.largest
    mean, variance, _ = run(fold=False)
    assert folded_size < run.largest
    outputs = [d[s] for d in (folded_mean, folded_variance, mean, variance) for s in group.order]
    values = pytensor.function([], outputs)()
    half = len(values) // 2
    for folded, full in zip(values[:half], values[half:], strict=True):
        np.testing.assert_allclose(folded, full, rtol=1e-10, atol=1e-12)


def test_sources_of_a_sampled_or_student_t_target_are_integrated_and_its_input_sampled():
    # 2 is latent and autoregressive, so sampled: 0 and 1 feed it through one folded input.
    links = [L(0, 2), L(1, 2), L(2, 2, lag=1), L(2, 3, lag=1)]
    (group,) = integrated_groups(links, latent={0, 1, 2}, student=set())
    assert group.latent == {0, 1} and group.folded == {2} and group.order == (0, 1, 2)
    # A Student-t target, latent or observed, is folded too.
    (group,) = integrated_groups([L(0, 1), L(0, 2)], latent={0}, student={1})
    assert group.folded == {1} and group.order == (0, 2, 1)
    # Two folded targets of one group: its source is sampled.
    assert integrated_groups([L(0, 1), L(0, 2)], latent={0}, student={1, 2}) == ()
    # A folded target feeding a stage of a group: its sources are sampled.
    links = [L(0, 1), L(1, 2), L(0, 2)]
    assert integrated_groups(links, latent={0, 1}, student={1}) == ()


FOLDED_CASES = {
    "survey stages into an autoregressive survey stage": (
        Chain(
            stages=[*_stages(), Stage("speed", "cx"), Stage("care", "cx")],
            links=[
                Link("engagement", "speed"),
                Link("engagement", "care"),
                Link("speed", "customer"),
                Link("care", "customer"),
                Link("customer", "customer", lag=1),
                Link("customer", "growth", lag=1),
            ],
            interventions=PROGRAMME,
        ),
        {
            "surveys": {
                "speed": {"responses": 9, "sd": 12},
                "care": {"responses": 9, "sd": 12},
                "customer": {"responses": 7, "sd": 18},
            },
            "missing_rate": {"care": 0.1},
        },
        {
            "engagement -> speed": 0.4,
            "engagement -> care": 0.3,
            "speed -> customer": 0.3,
            "care -> customer": 0.2,
            "customer -> customer (lag 1)": 0.3,
            "customer -> growth (lag 1)": 0.2,
        },
        ({"speed", "care"}, "customer"),
    ),
    "a survey stage into a construct": (
        Chain(
            stages=_stages(),
            links=[Link("engagement", "customer"), Link("customer", "growth", lag=1)],
            interventions=PROGRAMME,
        ),
        {
            "surveys": {"engagement": {"responses": 6, "sd": 14}},
            "constructs": {
                "customer": {"loadings": [1, 0.8, 1.2], "intercepts": [0, 5, -4], "noise_sd": 3}
            },
        },
        {"engagement -> customer": 0.5, "customer -> growth (lag 1)": 0.2},
        ({"engagement"}, "customer"),
    ),
}


@pytest.mark.parametrize("case", list(FOLDED_CASES))
def test_a_folded_input_is_exact(case):
    # The integrated stages' input to the folded target is one sampled value per cell.
    # Everything latent is Gaussian here, so both models' densities integrated over every
    # latent value must agree.
    chain, settings, truth, (integrated, target) = FOLDED_CASES[case]
    extra = {k: v for k, v in settings.items() if k != "surveys"}
    sim = _sim(chain, settings["surveys"], truth, **extra)
    design = xl.ChainModel(sim.chain).build(sim.panel()).design
    (group,) = design.integrated
    names = design.stage_names
    assert {names[j] for j in group.latent} == integrated
    assert {names[j] for j in group.folded} == {target}
    sampled = copy.copy(design)
    sampled.integrated = ()
    folded_model, _ = build_graph(design, PriorSet(design))
    sampled_model, _ = build_graph(sampled, PriorSet(sampled))

    def latent(model):
        return [v for v in model.free_RVs if v.name.startswith("latent_raw[")]

    assert {v.name for v in latent(folded_model)} == {
        f"latent_raw[{target}]",
        f"latent_raw[{target} inputs]",
    }
    assert len(latent(sampled_model)) == len(integrated) + 1
    rng = np.random.default_rng(0)
    folded_integral = _log_integral(folded_model, latent(folded_model))
    sampled_integral = _log_integral(sampled_model, latent(sampled_model))
    for _ in range(3):
        point = {
            k: v + rng.normal(0.0, 0.3, np.shape(v))
            for k, v in sampled_model.initial_point().items()
        }
        shared = {k: v for k, v in point.items() if not k.startswith("latent_raw[")}
        folded_point = shared | {v.name: np.zeros(design.shape) for v in latent(folded_model)}
        assert folded_integral(folded_point) == pytest.approx(sampled_integral(point), abs=1e-6)
