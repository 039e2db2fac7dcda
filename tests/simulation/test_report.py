import itertools
import re
import shutil
import subprocess

import matplotlib.image
import pytest
from posteriors import true_posterior

import exlink as xl
from exlink.report import SECTIONS, write_html
from exlink.report_pdf import HEADLESS_FLAGS
from exlink.report_tables import MAX_COLUMNS, money, percent

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


@pytest.fixture(scope="module")
def page(exact, tmp_path_factory):
    investments = [
        xl.Investment("rollout", intervention="coaching", units="untreated", cost_upfront=2.0),
        xl.Investment("app", lever="technology", effect={"engagement": (0.5, 3.0)}, cost_fixed=5.0),
    ]
    result = xl.simulate(exact, investments, xl.Finance(horizon=12, margin=0.4), random_seed=1)
    plan = xl.prioritise(result, budget=result.total_cost().max())
    folder = tmp_path_factory.mktemp("report")
    path = write_html(exact, result, folder / "r.html", plan, figures=folder / "figures")
    return path.read_text(), plan, folder / "figures", result


def test_sections_in_order(page):
    text, *_ = page
    found = re.findall(r"<section id='(\w+)'>", text)
    assert found == list(SECTIONS)


def test_page_one_is_the_decision(page):
    text, plan, _, result = page
    decision = text[text.index("<section id='decision'>") : text.index("<section id='plan'>")]
    assert text.index("<section id='decision'>") < text.index("<section id='health'>")
    funded = " and ".join(plan.selected) if len(plan.selected) < 3 else plan.selected[-1]
    assert f"<strong>Fund {funded}</strong>" in decision
    facts = result.portfolio_summary(plan.selected)
    assert f"Expected NPV <strong>{money(facts['npv_mean'], 'EUR')}</strong>" in decision
    assert f"90% interval {money(facts['npv_p05'], 'EUR')} to " in decision
    assert f"Chance of losing money: <strong>{percent(facts['p_loss'])}</strong>" in decision
    assert "against the status quo" in decision and "Payback:" in decision
    assert "Staff:" in decision and "Customers (experience):" in decision
    # The caveat that matters most here: the checks were not run.
    caveats = re.findall(r"<ul class='caveats'>(.*?)</ul>", decision)[0]
    assert 1 <= caveats.count("<li>") <= 2
    assert "falsification checks" in caveats


def test_headings_are_in_order_and_every_figure_is_described(page):
    text, *_ = page
    levels = [int(level) for level in re.findall(r"<h([1-6])", text)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    alts = re.findall(r"<img alt='([^']*)'", text)
    assert len(alts) == len(re.findall(r"<img ", text))
    assert all(len(alt) > 30 for alt in alts), alts
    assert len(set(alts)) == len(alts)


def test_wide_tables_are_split_to_fit_the_page(page):
    text, *_ = page
    for table in re.findall(r"<table.*?</table>", text, flags=re.S):
        first_row = re.search(r"<tr.*?</tr>", table, flags=re.S).group(0)
        assert first_row.count("<th") + first_row.count("<td") <= MAX_COLUMNS, first_row
    # The effects table is split, its row labels repeated in each part.
    assert text.count("<th>source</th>") >= 2


def test_figures_are_embedded_and_nothing_is_fetched(page):
    text, *_ = page
    images = re.findall(r"<img [^>]*src='([^']+)'", text)
    assert len(images) == 6  # chain, forest, ranking, NPV distribution, cash flows, frontier
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"(src|href)=['\"]https?://", text)


def test_figures_are_also_saved_as_files_when_asked(page):
    _, _, folder, _ = page
    saved = sorted(p.name for p in folder.glob("*.png"))
    assert saved == [
        "cashflow_fan.png",
        "chain_diagram.png",
        "effects_forest.png",
        "frontier.png",
        "npv_distribution.png",
        "npv_ranking.png",
    ]
    assert all((folder / name).read_bytes().startswith(b"\x89PNG") for name in saved)


def test_content_speaks_of_this_model(page):
    text, plan, *_ = page
    assert "Converged" in text and "class='verdict good'" in text
    assert "The sampler did not converge" not in text and "id='unconverged'" not in text
    for name in plan.selected:
        assert name in text
    assert "<td>engagement</td>" in text and "<td>nps</td>" in text
    assert (
        "Every link has an effect of practical size" in text
        or "Breaks in the chain" in text
        or "too little about" in text
    )
    assert "discount_rate" in text and "leavers_avoided" in text


def test_the_report_says_what_the_money_figures_mean(page):
    text, *_ = page
    assert "Baseline: the status quo" in text
    assert "valued by simulating its investments together" in text
    assert "EVPI is how much more" in text and "Value of information (budget" in text
    # The objectives' definitions are stated: this chain has one stage per role.
    assert "cx_change: change of nps" in text and "ex_change: change of engagement" in text


def test_tables_are_written_for_people(page):
    text, *_ = page
    cells = re.findall(r"<td>([^<]*)</td>", text)
    assert cells
    assert not [c for c in cells if c in ("None", "nan", "NaN")]
    assert not [c for c in cells if c.startswith("{") or c.startswith("(")]
    # The elicited range in words, money with its currency, shares as percentages.
    assert "engagement +0.5 to +3" in cells
    assert any(re.fullmatch(r"-?[\d,]+(\.\d\d)? EUR", c) for c in cells)
    assert any(re.fullmatch(r"\d+\.\d%", c) for c in cells)
    assert "untreated" in cells


def test_a_report_on_an_unconverged_model_says_so_at_the_top(sim, tmp_path):
    model = true_posterior(sim, chains=1)
    investments = [xl.Investment("rollout", intervention="coaching", cost_upfront=2.0)]
    result = xl.simulate(model, investments, xl.Finance(horizon=6), allow_unconverged=True)
    text = write_html(model, result, tmp_path / "r.html").read_text()
    banner = text.index("id='unconverged'")
    assert banner < text.index("<section id='health'>")
    assert "Not converged" in text and "The sampler did not converge" in text
    assert "computed on a model that has not converged" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium")
def test_report_renders_in_a_browser(page, tmp_path):
    text, *_ = page
    html_file = tmp_path / "report.html"
    html_file.write_text(text)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            *HEADLESS_FLAGS,
            "--no-sandbox",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,3000",
            f"--screenshot={shot}",
            html_file.as_uri(),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    image = matplotlib.image.imread(shot)
    assert image.shape[:2] == (3000, 1200)
    pixels = image[..., :3].reshape(-1, 3)
    assert pixels.std() > 0.05, "the rendered page is blank"
    dark = (pixels.mean(axis=1) < 0.3).mean()
    assert 0.005 < dark < 0.5, f"share of dark pixels {dark:.3f}: text and figures should show"
