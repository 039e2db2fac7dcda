"""The report in a real browser: Debian's chromium driven by selenium through chromedriver.

The budget explorer must show, at any budget typed or slid to, the plan that
``prioritise`` gives at that budget; the page must fetch nothing and log no
error; with scripts off, the static report must stand on its own.
"""

import json
import shutil

import numpy as np
import pytest

import exlink as xl
from exlink.report import write_html
from exlink.report_pdf import HEADLESS_FLAGS
from exlink.report_tables import money

pytestmark = pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a dev dependency")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "no chromium or chromedriver: apt-get install chromium chromium-driver (make test does)",
        allow_module_level=True,
    )

FLAGS = (*HEADLESS_FLAGS, "--no-sandbox", "--window-size=1200,2000")


def browser(tmp_path, scripts: bool = True):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if not scripts:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture(scope="module")
def report(exact, tmp_path_factory):
    investments = [
        xl.Investment("rollout", intervention="coaching", units="untreated", cost_upfront=2.0),
        xl.Investment("app", lever="technology", effect={"engagement": (0.5, 3.0)}, cost_fixed=5.0),
        xl.Investment(
            "redesign", intervention="complaint_redesign", units=["U001", "U002"], cost_fixed=3.0
        ),
    ]
    result = xl.simulate(exact, investments, xl.Finance(horizon=12, margin=0.4), random_seed=1)
    plan = xl.prioritise(result, budget=8.0)
    folder = tmp_path_factory.mktemp("browser")
    path = write_html(exact, result, folder / "report.html", plan)
    return path, result, plan, folder


@pytest.fixture(scope="module")
def page(report):
    path, _, _, folder = report
    driver = browser(folder / "profile")
    driver.get(path.as_uri())
    yield driver
    driver.quit()


def expected_plan(result, budget: float) -> str:
    if budget < result.total_cost().min():
        return ""
    return " + ".join(xl.prioritise(result, budget).selected)


def shown_plan(driver) -> str:
    return driver.find_element("id", "explorer-plan").get_attribute("data-selected")


def type_budget(driver, budget: float) -> None:
    field = driver.find_element("id", "explorer-budget")
    field.clear()
    field.send_keys(f"{budget:.6f}")


def test_the_explorer_opens_at_the_plans_budget(page, report):
    _, result, plan, _ = report
    assert page.find_element("id", "explorer").is_displayed()
    assert shown_plan(page) == " + ".join(plan.selected)
    npv = result.portfolio_npv(plan.selected).values
    assert page.find_element("id", "explorer-npv").text == money(npv.mean(), "EUR")
    bars = page.find_elements("css selector", "#explorer-histogram rect")
    assert len(bars) == 30


def test_a_typed_budget_shows_what_prioritise_gives(page, report):
    _, result, _, _ = report
    costs = sorted(
        {
            result.portfolio_cost(names)
            for names in (["rollout"], ["app"], ["redesign"], ["app", "redesign"])
        }
        | {result.portfolio_cost(result.names)}
    )
    budgets = [*costs, *(c - 0.01 for c in costs), *(c + 0.5 for c in costs), 1.0, 100.0]
    seen = set()
    for budget in budgets:
        type_budget(page, budget)
        expected = expected_plan(result, budget)
        assert shown_plan(page) == expected, budget
        seen.add(expected)
    assert len(seen) >= 3, "the budgets tried should cross several plans"


def test_the_slider_moves_the_plan(page, report):
    from selenium.webdriver.common.keys import Keys

    _, result, _, _ = report
    slider = page.find_element("id", "explorer-range")
    slider.send_keys(Keys.HOME)
    assert shown_plan(page) == ""
    assert "below the cheapest investment" in page.find_element("id", "explorer-plan").text
    slider.send_keys(Keys.END)
    top = float(slider.get_attribute("value"))
    assert float(page.find_element("id", "explorer-budget").get_attribute("value")) == top
    assert shown_plan(page) == expected_plan(result, top)
    slider.send_keys(Keys.HOME)
    for _ in range(40):
        slider.send_keys(Keys.PAGE_UP)
        value = float(slider.get_attribute("value"))
        assert shown_plan(page) == expected_plan(result, value), value


def test_nothing_is_fetched_and_the_console_is_clean(page, report):
    path, *_ = report
    page.get_log("performance")  # drained: the browser's own start-up pages
    page.get_log("browser")
    page.refresh()
    urls = []
    for entry in page.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls, "the performance log should record the page itself"
    assert all(u == path.as_uri() or u.startswith("data:") for u in urls), urls
    errors = [e for e in page.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, errors


def test_without_scripts_the_static_report_stands(report, tmp_path):
    path, result, plan, _ = report
    driver = browser(tmp_path / "profile", scripts=False)
    try:
        driver.get(path.as_uri())
        assert not driver.find_element("id", "explorer").is_displayed()
        body = driver.find_element("tag name", "body").text
        assert "The best plan at every budget" in body
        assert f"Fund {' and '.join(plan.selected)}" in body
        steps = xl.budget_steps(result)
        for step in steps:
            assert " + ".join(step.selected) in body
        assert np.isfinite([s.expected_npv for s in steps]).all()
    finally:
        driver.quit()


def test_in_print_the_decision_stands_alone_and_the_explorer_is_left_out(page, report):
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not page.find_element("id", "explorer").is_displayed()
        after = page.execute_script(
            "return getComputedStyle(document.getElementById('decision')).breakAfter"
        )
        assert after == "page"
        table = page.find_element("xpath", "//h3[text()='The best plan at every budget']")
        assert table.is_displayed()
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert page.find_element("id", "explorer").is_displayed()
