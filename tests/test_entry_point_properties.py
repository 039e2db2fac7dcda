"""Property tests of the entry points: a result or a documented error, never an internal one.

Documented errors are ``TypeError`` and ``ValueError`` (``ScenarioError``,
``SelectionError`` and ``ModelFileError`` are ``ValueError``) whose message
names what was wrong.
"""

import copy
import math
import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import exlink as xl
from exlink.simulation.investments import Finance, Investment

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "simulate"))
from posteriors import hand_result

DOCUMENTED = (TypeError, ValueError)

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["engagement", "nps", "people", "linear", "ex", "cx", "a -> b", "$x^$"]),
    st.lists(st.sampled_from(["engagement", "nps", 1, None]), max_size=3),
    st.dictionaries(
        st.sampled_from(["name", "role", "x"]), st.sampled_from(["nps", "cx", 1]), max_size=2
    ),
    st.just(np.int64(3)),
    st.just(np.float64(0.5)),
)

GOOD_CHAIN = {
    "stages": [
        {"name": "engagement", "role": "ex"},
        {"name": "nps", "role": "cx"},
        {"name": "revenue", "role": "financial"},
    ],
    "links": ["engagement -> nps", {"source": "nps", "target": "revenue", "lag": 1}],
    "interventions": [{"name": "coaching", "targets": ["engagement"], "lever": "people"}],
}
CHAIN_PATHS = [
    ("stages",),
    ("stages", 0),
    ("stages", 0, "name"),
    ("stages", 1, "role"),
    ("stages", 2, "likelihood"),
    ("links",),
    ("links", 0),
    ("links", 1, "lag"),
    ("links", 1, "form"),
    ("links", 1, "source"),
    ("links", 1, "moderator"),
    ("interventions",),
    ("interventions", 0, "targets"),
    ("interventions", 0, "lever"),
    ("interventions", 0, "ramp"),
    ("interventions", 0, "name"),
    ("extra",),
]


def _edit(tree, path, value):
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(CHAIN_PATHS), VALUES), max_size=3))
def test_chain_specs_give_a_chain_or_a_documented_error(edits):
    spec = copy.deepcopy(GOOD_CHAIN)
    for path, value in edits:
        try:
            _edit(spec, path, value)
        except (TypeError, KeyError, IndexError):
            continue
    before = copy.deepcopy(spec)
    try:
        chain = xl.Chain.from_dict(spec)
    except DOCUMENTED as err:
        assert str(err)
    else:
        # A chain that validates round-trips through YAML and JSON unchanged.
        assert xl.Chain.from_yaml(chain.to_yaml()) == chain
        assert xl.Chain.from_json(chain.to_json()) == chain
    assert repr(spec) == repr(before)  # the input is not changed


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_yaml_text_gives_a_chain_or_a_documented_error(text):
    try:
        xl.Chain.from_yaml(text)
    except DOCUMENTED as err:
        assert str(err)


INVESTMENT_FIELDS = {
    "name": VALUES,
    "intervention": VALUES,
    "lever": VALUES,
    "effect": st.one_of(
        VALUES,
        st.dictionaries(
            st.sampled_from(["nps", "engagement", "bad/name"]),
            st.tuples(VALUES, VALUES) | VALUES,
            max_size=2,
        ),
    ),
    "units": VALUES,
    "start": VALUES,
    "duration": VALUES,
    "level": VALUES,
    "ramp": VALUES,
    "reinforced": VALUES,
    "cost_upfront": VALUES,
    "cost_per_period": VALUES,
    "cost_fixed": VALUES,
    "group": VALUES,
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({}, optional=INVESTMENT_FIELDS))
def test_investments_are_valid_or_refused_by_name(fields):
    try:
        inv = Investment(**fields)
    except DOCUMENTED as err:
        assert str(err)
        return
    for cost in ("cost_upfront", "cost_per_period", "cost_fixed", "level", "ramp"):
        value = getattr(inv, cost)
        assert isinstance(value, float) and math.isfinite(value) and value >= 0
    assert isinstance(inv.start, int) and inv.start >= 0
    for low, high in (inv.effect or {}).values():
        assert math.isfinite(low) and math.isfinite(high) and low <= high


FINANCE_FIELDS = {
    "discount_rate": VALUES,
    "periods_per_year": VALUES,
    "margin": VALUES,
    "revenue_stage": VALUES,
    "revenue_kind": VALUES,
    "revenue_base": VALUES,
    "growth_rate": VALUES,
    "money_per_stage_unit": VALUES,
    "cost_stage": VALUES,
    "attrition_stage": VALUES,
    "cost_per_leaver": VALUES,
    "headcount": VALUES,
    "currency": VALUES,
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({"horizon": VALUES}, optional=FINANCE_FIELDS))
@pytest.mark.filterwarnings("ignore:Finance. discount_rate:UserWarning")
def test_finance_is_valid_or_refused_by_name(fields):
    try:
        finance = Finance(**fields)
    except DOCUMENTED as err:
        assert str(err)
        return
    assert isinstance(finance.horizon, int) and finance.horizon >= 1
    for name in ("discount_rate", "margin", "money_per_stage_unit", "cost_per_leaver"):
        assert math.isfinite(getattr(finance, name))
    assert finance.period_rate(12) > -1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 1000),
    budget=VALUES,
    alpha=st.one_of(st.just(0.05), VALUES),
    cap=st.one_of(st.none(), VALUES),
    must=st.one_of(st.just(()), st.lists(st.sampled_from(["i0", "i1", "i2", "zz"]), max_size=2)),
    objective=st.sampled_from(["expected_npv", "cvar", "sharpe"]),
)
def test_prioritise_gives_a_feasible_plan_or_a_documented_error(
    seed, budget, alpha, cap, must, objective
):
    rng = np.random.default_rng(seed)
    net = rng.normal(1.0, 2.0, size=(3, 40, 4))
    costs = np.abs(rng.normal(2.0, 1.0, size=(3, 4)))
    result = hand_result(net, costs)
    try:
        plan = xl.prioritise(
            result,
            budget,
            objective,
            alpha=alpha,
            max_loss_probability=cap,
            must_fund=must,
        )
    except DOCUMENTED as err:
        assert str(err)
        return
    assert plan.cost <= float(budget) + 1e-6
    assert set(must) <= set(plan.selected)
    if cap is not None:
        assert plan.p_loss <= float(cap) + 1e-9
