"""The report printed to PDF by a headless Chromium, from Python and from the command line."""

import re
import shutil
import subprocess
import sys

import pytest

import exlink as xl
from exlink.report import write_html
from exlink.report_pdf import find_browser, write_pdf

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")

HAS_CHROMIUM = any(shutil.which(name) for name in ("chromium", "chromium-browser"))
needs_chromium = pytest.mark.skipif(
    not HAS_CHROMIUM, reason="no chromium: apt-get install chromium (make test does)"
)


@pytest.fixture(scope="module")
def report(exact, tmp_path_factory):
    investments = [
        xl.Investment("rollout", intervention="coaching", units="untreated", cost_upfront=2.0),
    ]
    result = xl.simulate(exact, investments, xl.Finance(horizon=6), random_seed=2)
    plan = xl.prioritise(result, budget=100.0)
    folder = tmp_path_factory.mktemp("pdf")
    return write_html(exact, result, folder / "report.html", plan)


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@needs_chromium
def test_the_report_prints_to_a_pdf_beside_it(report):
    pdf = write_pdf(report)
    assert pdf == report.with_suffix(".pdf").resolve()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    # Page one holds the decision alone, the evidence follows on further pages.
    assert pages(data) >= 3
    assert not list(report.parent.glob(".*.partial")), "no partial file is left behind"


@needs_chromium
def test_a_pdf_can_go_elsewhere_and_a_missing_report_is_named(report, tmp_path):
    pdf = write_pdf(report, tmp_path / "out" / "board.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    with pytest.raises(FileNotFoundError, match="no such report"):
        write_pdf(tmp_path / "missing.html")


def test_without_a_browser_the_error_says_how_to_get_one(monkeypatch, tmp_path, report):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("EXLINK_BROWSER", raising=False)
    with pytest.raises(FileNotFoundError, match="apt-get install chromium"):
        find_browser()
    with pytest.raises(FileNotFoundError, match="EXLINK_BROWSER"):
        write_pdf(report, tmp_path / "r.pdf")
    monkeypatch.setenv("EXLINK_BROWSER", "no-such-browser")
    with pytest.raises(FileNotFoundError, match="'no-such-browser' was not found"):
        find_browser()
    assert not (tmp_path / "r.pdf").exists()


def test_a_browser_that_fails_is_reported_with_what_it_said(report, tmp_path):
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(OSError, match=r"exit status 3\): cannot open display"):
        write_pdf(report, tmp_path / "r.pdf", browser=fake)
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*.partial"))


@needs_chromium
def test_the_report_command_writes_the_pdf_when_asked(report, tmp_path, stored_model):
    model_file = tmp_path / "model.nc"
    stored_model().save(model_file)
    scenario = tmp_path / "plan.yaml"
    scenario.write_text(
        f"model: {model_file}\nfinance:\n  horizon: 6\nbudget: 40\n"
        "investments:\n  - name: rollout\n    intervention: coaching\n    cost_upfront: 1.0\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exlink.cli",
            "report",
            "--scenario",
            str(scenario),
            "--out",
            str(tmp_path / "board.html"),
            "--pdf",
            "--allow-unconverged",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "board.pdf").read_bytes().startswith(b"%PDF-")
    assert "board.pdf" in result.stdout
