"""The full demo, as a user runs it: fit the bank, simulate, choose, report."""

import subprocess
import sys

import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.first]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "exlink-demo"
    result = subprocess.run(
        [sys.executable, "-m", "exlink.cli", "demo", "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stdout


def test_demo_describes_the_data_and_says_the_model_converged(demo):
    _, stdout = demo
    assert "120 units (branch) x 36 monthly periods, 2023-01 to 2025-12" in stdout
    assert "coaching (people) -> engagement, enablement" in stdout
    assert "nps -> retention (lag 1) [threshold]" in stdout
    assert "Model health: Converged" in stdout


def test_demo_prints_the_plan_and_writes_every_output(demo):
    out, stdout = demo
    assert "Recommended plan" in stdout
    assert f"open the report: {out / 'report.html'}" in stdout
    for name in ("model.nc", "scenario.yaml", "summary.csv", "plan.csv", "cashflows.csv"):
        assert (out / name).stat().st_size > 0, name
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {"chain_diagram.png", "frontier.png", "npv_ranking.png"} <= figures
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 5
    plan = pd.read_csv(out / "plan.csv")
    funded = plan.loc[plan["funded"], "investment"].tolist()
    assert funded, "the bundled scenario's budget should fund something"
    assert plan.loc[plan["funded"], "cost"].sum() <= 4_500_000
    for name in funded:
        assert name in stdout
    html = (out / "report.html").read_text()
    for section in ("decision", "plan", "chain", "data", "health", "checks", "caveats"):
        assert f"id='{section}'" in html
    assert html.count("data:image/png;base64,") >= 6
    # Page one names the plan the CSV holds; the explorer and the checks are in the page.
    decision = html[html.index("<section id='decision'>") : html.index("<section id='plan'>")]
    assert all(name in decision for name in funded)
    assert "id='explorer'" in html and "id='explorer-data'" in html


def test_the_demo_runs_the_causal_checks_into_the_report(demo):
    out, stdout = demo
    assert "Running the causal checks" in stdout
    verdicts = pd.read_csv(out / "verdicts.csv")
    assert {
        "event_study",
        "placebo_in_time",
        "placebo_in_space",
        "reverse_direction",
        "prior_sensitivity",
    } <= set(verdicts["check"])
    html = (out / "report.html").read_text()
    assert "The falsification checks were not run" not in html
    checks = html[html.index("<section id='checks'>") : html.index("<section id='assumptions'>")]
    assert "placebo_in_time" in checks and checks.count("data:image/png;base64,") >= 4


def test_demo_recovers_the_banks_truth(demo):
    out, _ = demo
    effects = pd.read_csv(out / "effects.csv")
    from exlink.datasets import load_retail_bank

    truth = load_retail_bank().truth.coefficients()
    compared = effects.merge(truth, on=["kind", "source", "target", "lag"])
    assert len(compared) == len(truth)
    inside = compared["value"].between(compared["lower"], compared["upper"])
    # 90% intervals: of 25 effects, a calibrated model misses about 2.5
    assert inside.mean() >= 0.8, compared.loc[~inside, ["source", "target", "value", "mean"]]


def test_the_demo_scenario_reruns_on_the_saved_model(demo, tmp_path):
    out, _ = demo
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exlink.cli",
            "simulate",
            "--scenario",
            str(out / "scenario.yaml"),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    again = pd.read_csv(tmp_path / "plan.csv")
    first = pd.read_csv(out / "plan.csv")
    assert again["funded"].tolist() == first["funded"].tolist()
