import re

import pytest

import exlink as xl
from exlink.report import SECTIONS, write_html

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")


@pytest.fixture(scope="module")
def page(exact, tmp_path_factory):
    investments = [
        xl.Investment("rollout", intervention="coaching", units="untreated", cost_upfront=2.0),
        xl.Investment("app", lever="technology", effect={"engagement": (0.5, 3.0)}, cost_fixed=5.0),
    ]
    result = xl.simulate(exact, investments, xl.Finance(horizon=12, margin=0.4), random_seed=1)
    plan = xl.prioritise(result, budget=result.total_cost().max())
    path = write_html(exact, result, tmp_path_factory.mktemp("report") / "r.html", plan)
    return path.read_text(), plan


def test_sections_in_order(page):
    text, _ = page
    found = re.findall(r"<section id='(\w+)'>", text)
    assert found == list(SECTIONS)


def test_figures_are_embedded_and_nothing_is_fetched(page):
    text, _ = page
    images = re.findall(r"<img [^>]*src='([^']+)'", text)
    assert len(images) == 6  # chain, forest, ranking, NPV distribution, cash flows, frontier
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"(src|href)=['\"]https?://", text)


def test_content_speaks_of_this_model(page):
    text, plan = page
    assert "Not converged" in text and "class='verdict bad'" in text
    assert "The sampler did not converge" in text
    for name in plan.selected:
        assert name in text
    assert "<td>engagement</td>" in text and "<td>nps</td>" in text
    assert "Every link's interval excludes zero" in text or "possible breaks" in text
    assert "discount_rate" in text and "leavers_avoided" in text
