"""Page one of the report: the plan in sentences, and the caveats that matter most first."""

import dataclasses

import pandas as pd
import pytest

import exlink as xl
from exlink.checks import CheckReport
from exlink.checks.result import FAILED, PASSED, CheckResult, verdict_row
from exlink.report_decision import MAX_CAVEATS, caveats_that_matter, decision_section
from exlink.report_tables import money

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


@pytest.fixture(scope="module")
def simulated(exact):
    investments = [
        xl.Investment("rollout", intervention="coaching", units="untreated", cost_upfront=2.0),
        xl.Investment("app", lever="technology", effect={"engagement": (0.5, 3.0)}, cost_fixed=5.0),
    ]
    return xl.simulate(exact, investments, xl.Finance(horizon=12, margin=0.4), random_seed=1)


def checks_with(status: str) -> CheckReport:
    row = verdict_row("coaching -> engagement", status, "placebo effect.")
    return CheckReport({"placebo_in_time": CheckResult("placebo_in_time", pd.DataFrame([row]))})


def test_the_caveats_come_most_serious_first(exact):
    health = exact.diagnostics()
    effects = exact.effects()
    effects["verdict"] = "effect"
    assert health.converged
    clean = caveats_that_matter(health, effects, checks_with(PASSED))
    assert clean == [
        "Nothing stands out: the model converged, every effect is informed by the data, "
        "and every falsification check passed."
    ]
    unconverged = dataclasses.replace(health, problems=["R-hat above 1.01 in beta"])
    failed = caveats_that_matter(unconverged, effects, checks_with(FAILED))
    assert len(failed) == MAX_CAVEATS
    assert failed[0].startswith("Not converged") and "Do not act" in failed[0]
    assert failed[1].startswith("Falsification checks failed (placebo_in_time on coaching")
    unclear = effects.copy()
    unclear.loc[unclear["kind"] == "link", "verdict"] = ["unclear"] + ["effect"] * (
        (unclear["kind"] == "link").sum() - 1
    )
    source, target = unclear.loc[unclear["verdict"] == "unclear", ["source", "target"]].iloc[0]
    missing = caveats_that_matter(health, unclear, None)
    assert "were not run" in missing[0]
    assert (
        f"The data say little about {source} -> {target}: value that runs through it"
        in (missing[1])
    )
    everything = caveats_that_matter(unconverged, unclear, checks_with(FAILED), limit=10)
    assert len(everything) == 3


def test_the_decision_states_the_plan_its_money_and_its_baseline(exact, simulated):
    plan = xl.prioritise(simulated, budget=6.0)
    assert plan.selected == ["app"]
    html = "".join(
        decision_section(simulated, plan, exact.diagnostics(), exact.effects(), None, "month")
    )
    facts = simulated.portfolio_summary(["app"])
    assert "<strong>Fund app</strong>: 5 EUR of the 6 EUR budget" in html
    assert f"Expected NPV <strong>{money(facts['npv_mean'], 'EUR')}</strong>" in html
    assert "over 12 months, discounted at 8% a year to the first simulated month" in html
    assert f"Payback: in month {int(facts['payback']) + 1} of 12" in html


def test_without_a_plan_or_with_an_empty_one_page_one_says_so(exact, simulated):
    health, effects = exact.diagnostics(), exact.effects()
    html = "".join(decision_section(simulated, None, health, effects, None))
    best = simulated.summary()["npv_mean"].idxmax()
    assert "No plan was chosen" in html and f"<strong>{best}</strong>" in html
    assert "Payback: in period" in html
    empty = dataclasses.replace(xl.prioritise(simulated, budget=6.0), selected=[], cost=0.0)
    html = "".join(decision_section(simulated, empty, health, effects, None))
    assert "<strong>Fund nothing</strong> under the budget of 6 EUR" in html
    assert "Expected NPV" not in html
