"""Scenario files, fuzzed: a scenario and a plan, or a ScenarioError naming file, line and field."""

import copy
import re
import warnings

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from posteriors import true_posterior
from test_scenario import GOOD

from exlink.datasets import make_service_chain
from exlink.simulation.scenario import ScenarioError, read_scenario, run_scenario

HOSTILE = [
    None,
    -1,
    0,
    1.5,
    2,
    1e308,
    float("inf"),
    float("nan"),
    True,
    "",
    "x",
    "coach",
    "@pd.io.common.os.system('touch pwned')",
    [],
    ["x"],
    {},
    {"a": 1},
    [1, 2, 3],
    "2024-01-01",
]
PATHS = [
    ("model",),
    ("draws",),
    ("seed",),
    ("budget",),
    ("objective",),
    ("alpha",),
    ("max_loss_probability",),
    ("must_fund",),
    ("finance",),
    ("finance", "horizon"),
    ("finance", "discount_rate"),
    ("finance", "margin"),
    ("finance", "currency"),
    ("finance", "revenue_kind"),
    ("finance", "headcount"),
    ("investments",),
    ("investments", 0),
    ("investments", 0, "name"),
    ("investments", 0, "units"),
    ("investments", 0, "start"),
    ("investments", 0, "duration"),
    ("investments", 0, "level"),
    ("investments", 0, "cost_upfront"),
    ("investments", 1, "effect"),
    ("investments", 1, "lever"),
    ("investments", 2, "intervention"),
    ("investments", 2, "group"),
]


@pytest.fixture(scope="module")
def model():
    sim = make_service_chain(n_units=12, n_periods=10, seed=5)
    return true_posterior(sim)


def _set(tree, path, value):
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(HOSTILE)), max_size=3),
)
def test_fuzzed_scenarios_give_a_plan_or_a_scenario_error(edits, tmp_path_factory, model):
    """Property: never a raw Python error; an error names the file and a line or field."""
    tree = copy.deepcopy(yaml.safe_load(GOOD))
    for path, value in edits:
        try:
            _set(tree, path, copy.deepcopy(value))
        except (TypeError, KeyError, IndexError):
            continue  # the path no longer exists after an earlier edit
    folder = tmp_path_factory.mktemp("fuzz")
    file = folder / "plan.yaml"
    file.write_text(yaml.safe_dump(tree, allow_unicode=True))
    try:
        scenario = read_scenario(file)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = run_scenario(scenario, model)
    except ScenarioError as err:
        message = str(err)
        assert message.startswith(str(file)), message
        assert re.search(r"line \d+|\(\w", message), message
    else:
        assert set(run.plan.selected) <= {inv.name for inv in scenario.investments}
    assert not (folder / "pwned").exists()


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_reads_as_a_scenario_or_a_scenario_error(text, tmp_path_factory):
    file = tmp_path_factory.mktemp("text") / "plan.yaml"
    file.write_text(text)
    try:
        read_scenario(file)
    except ScenarioError as err:
        assert str(err).startswith(str(file))


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ("alpha: 2", ["line 2 (alpha)", "tail share"]),
        ("max_loss_probability: 1.5", ["line 2 (max_loss_probability)", "[0, 1)"]),
        ("draws: 0", ["line 2 (draws)", ">= 1"]),
        ("seed: -1", ["line 2 (seed)", ">= 0"]),
        ("must_fund: coach", ["line 2 (must_fund)", "'coach'", "not an investment"]),
        ("budget: .inf", ["line 2 (budget)", "finite"]),
        ("objective: sharpe", ["line 2 (objective)", "expected_npv, cvar"]),
        ("model: 5", ["line 2 (model)", ".nc"]),
    ],
)
def test_top_level_mistakes_point_at_their_own_line(tmp_path, edit, words):
    key = edit.split(":")[0]
    lines = [line for line in GOOD.splitlines() if not line.startswith(f"{key}:")]
    file = tmp_path / "plan.yaml"
    file.write_text("\n".join([lines[0], edit, *lines[1:]]) + "\n")
    with pytest.raises(ScenarioError) as info:
        read_scenario(file)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_a_key_written_twice_is_refused(tmp_path):
    file = tmp_path / "plan.yaml"
    file.write_text(GOOD.replace("budget: 200\n", "budget: 200\nbudget: 900\n"))
    with pytest.raises(ScenarioError, match=r"line 5: key 'budget' is written twice.*line 4"):
        read_scenario(file)


def test_units_expressions_are_parsed_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "plan.yaml"
    payload = "\"@pd.io.common.os.system('id > pwned.txt')\""
    file.write_text(GOOD.replace("units: untreated", f"units: {payload}"))
    with pytest.raises(ScenarioError) as info:
        read_scenario(file)
    assert "investments[0].units" in str(info.value)
    assert "cannot read '@pd.io" in str(info.value)
    assert not (tmp_path / "pwned.txt").exists()


def test_structured_units_are_read(tmp_path, model):
    file = tmp_path / "plan.yaml"
    file.write_text(
        GOOD.replace("units: \"region == 'north'\"", "units: {region: north}").replace(
            "units: untreated", "units: [U001, U002]"
        )
    )
    scenario = read_scenario(file)
    assert scenario.investments[0].units == ("U001", "U002")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_scenario(scenario, model)
    north = run.result.by_unit().query("investment == 'north_redesign'")["unit"]
    regions = model.panel.attributes.loc[list(north), "region"]
    assert set(regions) == {"north"}
