"""Survey stages in the Panel: Survey, from_frame(surveys=...), from_responses, their checks."""

import numpy as np
import pandas as pd
import pytest

import exlink as xl
from exlink.responses import aggregate_responses
from exlink.surveys import Survey, nps_variance, pool_by_unit, response_variance


def survey_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in ("a", "b", "c", "d"):
        for month in range(1, 6):
            n = int(rng.integers(3, 30))
            rows.append(
                {
                    "branch": unit,
                    "month": month,
                    "engagement": 60 + rng.normal(0, 5),
                    "engagement_n": n,
                    "engagement_sd": 10 + rng.random(),
                    "revenue": 100 + rng.normal(0, 3),
                }
            )
    return pd.DataFrame(rows)


def responses(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in ("a", "b", "c"):
        for month in (1, 2, 3, 4):
            for _ in range(int(rng.integers(1, 12))):
                rows.append(
                    {
                        "branch": unit,
                        "month": month,
                        "q_engaged": float(rng.integers(1, 6)),
                        "recommend": float(rng.integers(0, 11)),
                    }
                )
    return pd.DataFrame(rows)


def build(df: pd.DataFrame, **surveys) -> xl.Panel:
    return xl.Panel.from_frame(
        df, unit="branch", period="month", stages=["engagement", "revenue"], surveys=surveys
    )


def test_survey_spec_validates_its_fields():
    assert Survey(n="n").estimated
    assert not Survey(n="n", sd="sd").estimated
    assert not Survey(n="n", kind="proportion").estimated
    with pytest.raises(ValueError, match="kind must be one of"):
        Survey(n="n", kind="median")
    with pytest.raises(ValueError, match="both promoters and detractors"):
        Survey(n="n", kind="nps", promoters="p")
    with pytest.raises(ValueError, match="kind='nps' only"):
        Survey(n="n", promoters="p", detractors="d")
    with pytest.raises(TypeError, match="must be a column name"):
        Survey(n=3)
    with pytest.raises(ValueError, match="one column for two parts"):
        Survey(n="n", sd="n")
    assert Survey.from_mapping("x", {"n": "x_n", "sd": "x_sd"}) == Survey(n="x_n", sd="x_sd")
    with pytest.raises(ValueError, match="unknown survey key"):
        Survey.from_mapping("x", {"n": "x_n", "size": 3})
    with pytest.raises(ValueError, match="needs n"):
        Survey.from_mapping("x", {"sd": "x_sd"})
    with pytest.raises(TypeError, match=r"must be an exlink\.Survey or a mapping"):
        Survey.from_mapping("x", 3)


def test_panel_holds_surveys_and_keeps_them_through_xarray():
    df = survey_frame()
    before = df.copy()
    panel = build(df, engagement=Survey(n="engagement_n", sd="engagement_sd"))
    pd.testing.assert_frame_equal(df, before)
    assert list(panel.surveys) == ["engagement"]
    assert panel.responses("engagement").tolist() == df["engagement_n"].astype(float).tolist()
    again = xl.Panel.from_xarray(panel.to_xarray())
    assert again.surveys == panel.surveys
    assert again.responses("engagement").equals(panel.responses("engagement"))
    frame = panel.to_frame()
    assert frame["engagement_sd"].tolist() == pytest.approx(df["engagement_sd"].tolist())
    assert "surveys" in repr(panel)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.assign(engagement_n=df["engagement_n"].where(df.index != 3)), "missing"),
        (lambda df: df.assign(engagement_n=df["engagement_n"].where(df.index != 3, 0)), "zero"),
        (lambda df: df.assign(engagement_n=df["engagement_n"] + 0.5), "whole number"),
        (lambda df: df.assign(engagement_sd=-df["engagement_sd"]), "negative"),
        (lambda df: df.assign(engagement_n=df["engagement_n"].where(df.index != 2, 1)), "fewer"),
        (lambda df: df.assign(engagement_sd=df["engagement_sd"].where(df.index != 4)), "missing"),
    ],
)
def test_bad_survey_columns_are_refused_naming_unit_and_period(change, message):
    df = change(survey_frame())
    with pytest.raises(ValueError, match=message) as error:
        build(df, engagement=Survey(n="engagement_n", sd="engagement_sd"))
    assert "branch" in str(error.value) and "period" in str(error.value)


def test_survey_of_an_unknown_stage_or_absent_column_is_refused():
    df = survey_frame()
    with pytest.raises(ValueError, match="not among the panel's stages"):
        build(df, nps=Survey(n="engagement_n"))
    with pytest.raises(ValueError, match="nps_n"):
        build(df, engagement=Survey(n="nps_n"))
    with pytest.raises(ValueError, match="each column plays one part"):
        build(df, engagement=Survey(n="revenue"))


def test_a_missing_value_needs_no_count():
    df = survey_frame()
    df.loc[3, ["engagement", "engagement_n", "engagement_sd"]] = np.nan
    panel = build(df, engagement=Survey(n="engagement_n", sd="engagement_sd"))
    assert len(panel.responses("engagement")) == len(df) - 1


def test_response_variance_follows_each_kind():
    values = np.array([0.2, 0.5])
    n = np.array([10.0, 40.0])
    share = response_variance(Survey(n="n", kind="proportion"), values, {"n": n})
    p = (values * n + 0.5) / (n + 1)
    assert share == pytest.approx(p * (1 - p))
    sd = np.array([3.0, np.nan])
    cells = response_variance(Survey(n="n", sd="sd"), values, {"n": n, "sd": sd})
    assert cells[0] == 9.0 and np.isnan(cells[1])
    assert np.isnan(response_variance(Survey(n="n"), values, {"n": n})).all()


def test_variances_are_pooled_within_units_weighted_by_n_minus_1():
    variance = np.array([[4.0, 16.0, np.nan], [np.nan, np.nan, np.nan]])
    n = np.array([[2.0, 4.0, 1.0], [1.0, 1.0, 1.0]])
    pooled = pool_by_unit(variance, n)
    unit = (1 * 4.0 + 3 * 16.0) / 4
    assert pooled[0] == pytest.approx([unit] * 3)
    assert pooled[1] == pytest.approx([unit] * 3)
    assert np.isnan(pool_by_unit(np.full((2, 3), np.nan), n)).all()


def test_nps_variance_matches_the_variance_of_scores():
    rng = np.random.default_rng(3)
    answers = rng.integers(0, 11, size=200_000)
    scores = np.where(answers >= 9, 100.0, np.where(answers <= 6, -100.0, 0.0))
    p, d = (answers >= 9).mean(), (answers <= 6).mean()
    formula = nps_variance(np.array(p), np.array(d), np.array(float(len(answers))))
    assert float(formula) == pytest.approx(scores.var(), rel=1e-4)


def test_from_responses_equals_a_groupby():
    answers = responses()
    panel = xl.Panel.from_responses(
        answers,
        unit="branch",
        period="month",
        stages={"engagement": "q_engaged"},
        nps=["recommend"],
        min_responses=3,
    )
    grouped = answers.groupby(["branch", "month"])
    counts = grouped["q_engaged"].count()
    means = grouped["q_engaged"].mean().where(counts >= 3)
    frame = panel.to_frame().set_index(["branch", "month"])
    pd.testing.assert_series_equal(
        frame["engagement"], means.rename("engagement"), check_index_type=False
    )
    assert frame["engagement_n"].tolist() == counts.tolist()
    sd = grouped["q_engaged"].std().where(counts >= 3)
    assert frame["engagement_sd"].tolist() == pytest.approx(sd.tolist(), nan_ok=True)
    promoters = grouped["recommend"].apply(lambda x: (x >= 9).mean())
    detractors = grouped["recommend"].apply(lambda x: (x <= 6).mean())
    nps = (100 * (promoters - detractors)).where(counts >= 3)
    assert frame["recommend"].tolist() == pytest.approx(nps.tolist(), nan_ok=True)
    assert panel.surveys["recommend"].kind == "nps"
    assert panel.withheld()["engagement"] == int((counts < 3).sum())


def test_from_responses_joins_unit_period_data_and_refuses_strays():
    answers = responses()
    data = pd.DataFrame(
        {
            "branch": np.repeat(["a", "b", "c"], 4),
            "month": np.tile([1, 2, 3, 4], 3),
            "revenue": np.linspace(90, 110, 12),
            "coaching": np.tile([0, 0, 1, 1], 3),
        }
    )
    panel = xl.Panel.from_responses(
        answers,
        unit="branch",
        period="month",
        stages={"engagement": "q_engaged"},
        min_responses=1,
        data=data,
        data_stages=["revenue"],
        interventions=["coaching"],
    )
    assert panel.stage_names == ("revenue", "engagement")
    assert panel.intervention_names == ("coaching",)
    stray = pd.concat([answers, answers.head(1).assign(branch="z")], ignore_index=True)
    with pytest.raises(ValueError, match="'z'"):
        xl.Panel.from_responses(
            stray, unit="branch", period="month", stages={"engagement": "q_engaged"}, data=data
        )
    late = pd.concat([answers, answers.head(1).assign(month=9)], ignore_index=True)
    with pytest.raises(ValueError, match="no row for"):
        xl.Panel.from_responses(
            late, unit="branch", period="month", stages={"engagement": "q_engaged"}, data=data
        )


def test_from_responses_refuses_answers_that_are_not_nps():
    answers = responses().assign(recommend=lambda d: d["recommend"] + 0.5)
    with pytest.raises(ValueError, match="whole numbers 0 to 10"):
        aggregate_responses(answers, unit="branch", period="month", nps=["recommend"])
    with pytest.raises(ValueError, match="at least one stage"):
        aggregate_responses(answers, unit="branch", period="month")
    with pytest.raises(ValueError, match="min_responses"):
        aggregate_responses(
            answers, unit="branch", period="month", stages={"e": "q_engaged"}, min_responses=0
        )
