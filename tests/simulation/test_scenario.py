import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from posteriors import true_posterior

from exlink.datasets import make_service_chain
from exlink.simulation.scenario import ScenarioError, read_scenario

GOOD = """\
model: model.nc
draws: 8
seed: 1
budget: 200
objective: expected_npv
finance:
  horizon: 12
  discount_rate: 0.08
  margin: 0.35
investments:
  - name: coaching_rollout
    intervention: coaching
    units: untreated
    cost_upfront: 4
    cost_per_period: 0.25
  - name: recognition_app
    lever: technology
    effect: {engagement: [1.0, 4.0]}
    cost_upfront: 1.5
  - name: north_redesign
    intervention: complaint_redesign
    units: "region == 'north'"
    cost_fixed: 3
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenario")
    sim = make_service_chain(n_units=12, n_periods=10, seed=5)
    true_posterior(sim).save(folder / "model.nc")
    return folder


def run(folder, text, out="results", extra=()):
    (folder / "plan.yaml").write_text(textwrap.dedent(text))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "exlink.cli",
            "simulate",
            "--scenario",
            str(folder / "plan.yaml"),
            "--out",
            str(folder / out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_good_scenario_writes_tables_and_prints_the_plan(folder):
    result = run(folder, GOOD)
    assert result.returncode == 0, result.stderr
    assert "Plan (expected_npv, budget 200): fund" in result.stdout
    assert "Model health: Converged" in result.stdout
    summary = pd.read_csv(folder / "results" / "summary.csv")
    assert summary["model_converged"].all()
    assert list(summary["investment"]) == ["coaching_rollout", "recognition_app", "north_redesign"]
    assert {"npv_mean", "p_loss", "cvar_05", "cx_change", "ex_change"} <= set(summary.columns)
    plan = pd.read_csv(folder / "results" / "plan.csv")
    assert plan["funded"].dtype == bool and plan["cost"].sum() > 0
    flows = pd.read_csv(folder / "results" / "cashflows.csv")
    assert set(flows["component"]) >= {"net", "costs"}


def test_an_unconverged_model_is_refused_unless_allowed_and_then_marked(folder):
    sim = make_service_chain(n_units=12, n_periods=10, seed=5)
    true_posterior(sim, chains=1).save(folder / "one_chain.nc")
    text = GOOD.replace("model: model.nc", "model: one_chain.nc")
    refused = run(folder, text, out="refused")
    assert refused.returncode == 1
    assert "not converged" in refused.stderr and "--allow-unconverged" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (folder / "refused").exists()
    allowed = run(folder, text, out="allowed", extra=["--allow-unconverged"])
    assert allowed.returncode == 0, allowed.stderr
    assert "WARNING: computed on a model that has not converged" in allowed.stdout
    for name in ("summary", "plan", "cashflows"):
        table = pd.read_csv(folder / "allowed" / f"{name}.csv")
        assert not table["model_converged"].any(), name


@pytest.mark.parametrize(
    "change, words",
    [
        (
            (
                "intervention: coaching\n    units: untreated",
                "intervention: coachin\n    units: untreated",
            ),
            ["line 12", "investments[0]", "'coachin'"],
        ),
        (
            ("effect: {engagement:", "effect: {engagment:"),
            ["line 18", "investments[1].effect", "'engagment'"],
        ),
        (
            ("cost_upfront: 4\n", "cost_upfront: -4\n"),
            ["line 14", "investments[0].cost_upfront", ">= 0"],
        ),
        (("budget: 200", "budget: 0.5"), ["line 4", "(budget)", "below the cheapest"]),
        (("horizon: 12", "horizon: 0"), ["line 7", "finance.horizon", "horizon"]),
        (("[1.0, 4.0]", "[4.0, 1.0]"), ["line 18", "investments[1].effect", "low 4 above high 1"]),
        (("margin: 0.35", "margn: 0.35"), ["line 9", "finance.margn", "Did you mean 'margin'"]),
        (("objective: expected_npv", "objective: sharpe"), ["line 5", "(objective)", "sharpe"]),
        (("budget: 200", "budget: [200"), ["line 5", "not valid YAML"]),
    ],
)
def test_bad_scenarios_name_the_line_and_field_and_write_nothing(folder, change, words):
    old, new = change
    assert old in GOOD
    out = f"out-{abs(hash(new))}"
    result = run(folder, GOOD.replace(old, new, 1), out=out)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert not (folder / out).exists() or not any((folder / out).iterdir())


def test_missing_model_and_missing_file(folder, tmp_path):
    result = run(folder, GOOD.replace("model: model.nc\n", ""))
    assert result.returncode == 1 and "--model" in result.stderr
    with pytest.raises(ScenarioError, match="no such scenario file"):
        read_scenario(tmp_path / "nothing.yaml")


def test_scenario_object(folder):
    (folder / "plan.yaml").write_text(GOOD)
    scenario = read_scenario(folder / "plan.yaml")
    assert scenario.model == folder / "model.nc"
    assert [inv.name for inv in scenario.investments][1] == "recognition_app"
    assert scenario.investments[1].effect == {"engagement": (1.0, 4.0)}
    assert scenario.line_of("investments", 2, "units") == 22


def test_report_command_writes_one_html_file(folder):
    (folder / "plan.yaml").write_text(GOOD)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exlink.cli",
            "report",
            "--scenario",
            str(folder / "plan.yaml"),
            "--out",
            str(folder / "report.html"),
            "--title",
            "Branch plan",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = (folder / "report.html").read_text()
    assert "<title>Branch plan</title>" in text and "id='plan'" in text
    assert "Wrote" in result.stdout


LIMITED = GOOD.replace(
    "objective: expected_npv\n",
    "objective: expected_npv\n"
    "stage_limits:\n  nps: [0.0, null]\n  revenue: [null, 1000000000]\n"
    "objectives:\n  cx: nps\n  ex: {engagement: 1.0}\n",
)


def scenario_run(folder, text):
    import exlink as xl
    from exlink.simulation.scenario import run_scenario

    (folder / "limited.yaml").write_text(text)
    scenario = read_scenario(folder / "limited.yaml")
    return scenario, run_scenario(scenario, xl.ChainModel.load(folder / "model.nc"))


def test_stage_limits_and_objectives_are_read_and_used(folder):
    scenario, done = scenario_run(folder, LIMITED)
    assert scenario.stage_limits == {"nps": (0.0, None), "revenue": (None, 1.0e9)}
    assert scenario.objectives == {"cx": "nps", "ex": {"engagement": 1.0}}
    assert done.result.objectives["cx"] == {"nps": 1.0}
    assert done.result.objectives["ex"] == {"engagement": 1.0}
    assert done.result.portfolio_average_changes(done.plan.selected)["nps"] >= 0.0
    # A floor no plan reaches is refused at its own line.
    with pytest.raises(ScenarioError, match=r"line 6 \(stage_limits\).*no plan"):
        scenario_run(folder, LIMITED.replace("nps: [0.0, null]", "nps: [1000000, null]"))


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("nps: [0.0, null]", "npx: [0.0, null]", r"line 7 \(stage_limits.npx\).*unknown stage"),
        ("nps: [0.0, null]", "nps: 2.0", r"line 7 \(stage_limits.nps\).*\[low, high\]"),
        ("nps: [0.0, null]", "nps: [low, null]", r"line 7 \(stage_limits.nps\).*number"),
        ("cx: nps", "cx: npx", r"line 10 \(objectives.cx\).*unknown stage 'npx'"),
        ("cx: nps", "staff: nps", r"line 10 \(objectives.staff\).*unknown role"),
        ("cx: nps", "cx: [nps]", r"line 10 \(objectives.cx\).*stage name or a mapping"),
    ],
)
def test_bad_stage_limits_and_objectives_name_their_line(folder, old, new, words):
    assert old in LIMITED
    with pytest.raises(ScenarioError, match=words):
        scenario_run(folder, LIMITED.replace(old, new, 1))


def test_the_scenario_run_values_information_under_its_budget(folder):
    text = LIMITED.replace(
        "objectives:\n", "pilot_costs:\n  recognition_app: 0.5\nobjectives:\n", 1
    )
    scenario, done = scenario_run(folder, text)
    assert scenario.pilot_costs == {"recognition_app": 0.5}
    table = done.tables()["information"].set_index("investment")
    assert table.loc["recognition_app", "pilot_cost"] == 0.5
    assert (table["evppi"] >= 0).all() and (table["evppi"] <= table["evpi"] + 1e-9).all()
    assert table["model_converged"].all()
    with pytest.raises(ScenarioError, match=r"pilot_costs.recognitoin_app.*Did you mean"):
        scenario_run(folder, text.replace("  recognition_app: 0.5", "  recognitoin_app: 0.5"))
    with pytest.raises(ScenarioError, match=r"pilot_costs.recognition_app.*>= 0"):
        scenario_run(folder, text.replace("recognition_app: 0.5", "recognition_app: -1"))
