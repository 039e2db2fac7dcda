"""The checks' mechanics, tables, figures, report section and command, on mock posteriors."""

import re

import numpy as np
import pytest

import exlink as xl
from exlink import checks
from exlink.checks.prior_width import scaled_priors
from exlink.checks.refit import subchain, with_rollouts
from exlink.cli import CHECKS_FAILED, main
from exlink.datasets import make_service_chain
from exlink.plotting import check_figure

pytestmark = pytest.mark.filterwarnings(
    "ignore::exlink.ConvergenceWarning", "ignore::exlink.IdentificationWarning"
)
QUICK = {"draws": 20, "tune": 0, "chains": 2, "progressbar": False}


@pytest.fixture
def fitted(mock_sample, stored_model):
    """A real posterior read from tests/data; the checks' refits sample with PyMC's mock."""
    return stored_model("service_chain")


def test_subchain_keeps_targets_their_parents_and_levers():
    chain = make_service_chain(n_units=5, n_periods=5, seed=1).chain
    part = subchain(chain, ["nps"])
    assert part.stage_names == ("engagement", "nps")
    assert [lk.label for lk in part.links] == ["engagement -> nps"]
    assert part.intervention_names == ("coaching", "scheduling_tool", "complaint_redesign")


def test_with_rollouts_adds_a_column_and_leaves_the_panel_alone():
    sim = make_service_chain(n_units=5, n_periods=6, seed=1)
    panel = sim.panel()
    before = panel.exposure.copy()
    extended = with_rollouts(panel, {"fake": panel.exposure.sel(intervention="coaching").values})
    assert extended.intervention_names[-1] == "fake"
    assert panel.exposure.identical(before)


def test_event_study_tables_and_figure(fitted):
    result = checks.event_study(fitted, leads=3, lags=4, draws=40)
    assert result.check == "event_study"
    assert result.table["subject"].tolist() == [
        "coaching -> engagement",
        "scheduling_tool -> engagement",
        "complaint_redesign -> nps",
    ]
    details = result.details
    assert set(details["relative_period"]) <= set(range(-3, 5))
    assert (details["lower"] <= details["upper"]).all()
    assert set(result.table["status"]) <= {"passed", "failed", "not run"}
    assert len(check_figure(result).axes) == 3


def test_event_study_is_not_run_without_leads(mock_sample):
    sim = make_service_chain(
        n_units=16, n_periods=12, seed=3, rollouts={"coaching": {"first_wave": 0, "last_wave": 0}}
    )
    model = xl.ChainModel(sim.chain).fit(sim.panel(), **QUICK)
    table = checks.event_study(model, draws=40).table.set_index("subject")
    row = table.loc["coaching -> engagement"]
    assert row["status"] == "not run" and bool(row["passed"])
    assert "no staggered timing" in row["message"]


def test_placebos_refit_with_their_own_unpooled_effects(fitted):
    result = checks.placebo_in_time(fitted, ["coaching"], shift=2, fit=QUICK)
    row = result.table.iloc[0]
    assert row["subject"] == "coaching -> engagement"
    assert row["lower"] <= row["placebo"] <= row["upper"]
    assert row["status"] in {"passed", "failed"}
    space = checks.placebo_in_space(fitted, "complaint_redesign", fit=QUICK)
    assert space.table["subject"].tolist() == ["complaint_redesign -> nps"]
    assert check_figure(space).axes[0].get_title() == "placebo in space"
    with pytest.raises(KeyError, match="yoga"):
        checks.placebo_in_time(fitted, ["yoga"], fit=QUICK)


def test_placebo_in_space_is_not_run_without_untreated_units(mock_sample):
    sim = make_service_chain(
        n_units=12, n_periods=10, seed=3, rollouts={"coaching": {"coverage": 1.0}}
    )
    model = xl.ChainModel(sim.chain).fit(sim.panel(), **QUICK)
    row = checks.placebo_in_space(model, "coaching", fit=QUICK).table.iloc[0]
    assert row["status"] == "not run" and "never-treated" in row["message"]


def test_scaled_priors_widen_effects_and_keep_the_pools(fitted):
    wide = scaled_priors(fitted, 2.0)
    assert wide["beta"] == xl.Prior("Normal", mu=0.0, sigma=2.0)
    assert wide["lever_sd"] == xl.Prior("HalfNormal", sigma=1.0)
    assert "gamma" not in wide, "a gamma group prior would switch the lever pools off"
    fitted.priors = {"beta[engagement -> nps]": xl.Prior("Normal", mu=0.5, sigma=0.1)}
    assert scaled_priors(fitted, 0.5)["beta[engagement -> nps]"].params["sigma"] == 0.05


def test_check_all_and_the_report_section(fitted, tmp_path):
    report = checks.check_all(fitted, fit=QUICK)
    assert list(report.results) == [
        "event_study",
        "placebo_in_time",
        "placebo_in_space",
        "reverse_direction",
        "prior_sensitivity",
    ]
    verdicts = report.verdicts()
    assert verdicts.columns.tolist() == ["check", "subject", "status", "passed", "message"]
    assert set(verdicts["check"]) == set(report.results)
    sensitivity = report["prior_sensitivity"].details
    assert set(sensitivity["prior"]) == {"as fitted", "priors x0.5", "priors x2"}
    with pytest.raises(ValueError, match="factors"):
        checks.prior_sensitivity(fitted, factors=(1.0,))
    investments = [xl.Investment("more", intervention="coaching", cost_upfront=1.0)]
    result = xl.simulate(
        fitted, investments, xl.Finance(horizon=6), draws=20, random_seed=1, allow_unconverged=True
    )
    text = _html(fitted, result, tmp_path, report)
    section = text.split("<section id='checks'>")[1].split("</section>")[0]
    assert "placebo_in_time" in section and "reverse_direction" in section
    assert len(re.findall(r"<img ", section)) == len(report.results)
    assert "The falsification checks were not run" in _html(fitted, result, tmp_path, None)


def test_a_failed_check_is_said_in_the_report(fitted, tmp_path):
    sim = make_service_chain(
        n_units=40,
        n_periods=18,
        seed=4,
        links={"engagement -> nps": 0.0},
        feedback={"nps -> engagement (lag 1)": 0.5},
    )
    reverse = xl.ChainModel(sim.chain).build(sim.panel())
    failing = checks.CheckReport({"reverse_direction": checks.reverse_direction(reverse)})
    assert not failing.passed and "FAILED" in repr(failing)
    investments = [xl.Investment("more", intervention="coaching", cost_upfront=1.0)]
    result = xl.simulate(
        fitted, investments, xl.Finance(horizon=6), draws=20, random_seed=1, allow_unconverged=True
    )
    text = _html(fitted, result, tmp_path, failing)
    assert "1 check(s) FAILED: reverse_direction on engagement -&gt; nps" in text
    assert "Some falsification checks failed" in text


def test_check_command_writes_verdicts_and_figures(fitted, tmp_path, capsys):
    path = fitted.save(tmp_path / "m.nc")
    status = main(
        [
            "check",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--no-sensitivity",
            "--draws",
            "20",
            "--tune",
            "0",
            "--quiet",
        ]
    )
    printed = capsys.readouterr().out
    assert status in (0, CHECKS_FAILED)
    assert "Model health:" in printed and "placebo_in_time" in printed
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [
        "event_study.png",
        "placebo_in_space.png",
        "placebo_in_time.png",
        "reverse_direction.png",
        "verdicts.csv",
    ]
    assert main(["check", str(tmp_path / "missing.nc")]) == 1


def _html(model, result, folder, report):
    from exlink.report import write_html

    return write_html(model, result, folder / "r.html", checks=report).read_text()


def test_leads_that_are_not_zero_raise_an_identification_warning(fitted, monkeypatch):
    from exlink.checks import staggered
    from exlink.checks.result import FAILED, verdict_row

    monkeypatch.setattr(
        staggered, "_verdict", lambda subject, *_: verdict_row(subject, FAILED, "leads not zero.")
    )
    with pytest.warns(xl.IdentificationWarning, match="event study of coaching -> engagement"):
        result = checks.event_study(fitted, draws=40)
    assert not result.passed


def test_the_wald_verdict_reads_the_leads():
    import numpy as np

    from exlink.checks.staggered import _verdict

    rng = np.random.default_rng(0)
    flat = [(step, 10, rng.normal(0.0, 1.0, 400), None) for step in (-3, -2, -1)]
    moved = [(step, 10, rng.normal(3.0, 1.0, 400), None) for step in (-3, -2, -1)]
    assert _verdict("k -> s", flat, "", 0.01)["status"] == "passed"
    failed = _verdict("k -> s", moved, "", 0.01)
    assert failed["status"] == "failed" and failed["p_value"] < 1e-4
    assert _verdict("k -> s", [], "", 0.01)["status"] == "not run"


def test_results_are_data_and_a_check_without_a_figure_is_named():
    import pandas as pd

    result = checks.CheckResult(
        "made_up", pd.DataFrame([checks.result.verdict_row("x", "passed", "ok")])
    )
    assert not hasattr(result, "figure")
    with pytest.raises(ValueError, match="no figure is known for the 'made_up' check"):
        check_figure(result)


def test_a_placebo_fails_only_when_clearly_of_practical_size():
    from exlink.checks.placebo import placebo_verdict

    rng = np.random.default_rng(0)
    real = rng.normal(4.0, 0.2, 2000)

    def status(centre: float, rope: float = 0.7) -> dict:
        fake = rng.normal(centre, 0.15, 2000)
        return placebo_verdict("placebo_in_space", "x", "y", fake, real, 0.95, "", rope)

    assert status(0.05)["status"] == "passed"
    small = status(-0.45)  # excludes zero, reaches within the practical size
    assert small["status"] == "passed" and "too small to matter" in small["message"]
    assert status(-1.5)["status"] == "failed"
    assert status(1.5)["status"] == "failed"
    assert status(-0.45, rope=0.0)["status"] == "failed", "without a practical size, zero decides"
