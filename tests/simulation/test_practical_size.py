"""Breaks in the chain told apart from no information: the region of practical equivalence."""

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import exlink as xl
from exlink.models.summaries import DEFAULT_ROPE

ENGAGEMENT_NPS = "engagement -> nps"


def _with_link_draws(model, link: int, draws: np.ndarray) -> xl.ChainModel:
    """A copy of ``model`` whose posterior of one link's coefficient is ``draws`` (chain, draw)."""
    posterior = model.idata.posterior.to_dataset()
    chains, n = draws.shape
    posterior = xr.concat([posterior.isel(draw=[0])] * n, dim="draw").assign_coords(
        draw=np.arange(n)
    )
    posterior = xr.concat([posterior.isel(chain=[0])] * chains, dim="chain").assign_coords(
        chain=np.arange(chains)
    )
    beta = posterior["beta"].values.copy()
    beta[:, :, link] = draws
    posterior["beta"] = posterior["beta"].copy(data=beta)
    copy = xl.ChainModel(model.chain).build(model.panel)
    copy.idata = xr.DataTree.from_dict({"/posterior": posterior})
    return copy


def test_default_region_is_a_tenth_of_the_target_sd_per_source_sd(exact):
    design = exact.design
    table = exact.effects()
    links = table[table["kind"] == "link"].reset_index(drop=True)
    for term, row in zip(design.links, links.itertuples(), strict=True):
        expected = DEFAULT_ROPE * design.sds[term.target] / design.sds[term.source]
        assert row.rope == pytest.approx(expected)
        # A point mass: its interval is the truth, an effect iff larger than the region.
        assert row.verdict == ("effect" if abs(row.mean) > expected else "break")
        assert row.p_practical == float(abs(row.mean) > expected)
    effects = table[table["kind"] == "intervention"].reset_index(drop=True)
    for term, row in zip(design.effects, effects.itertuples(), strict=True):
        assert row.rope == pytest.approx(DEFAULT_ROPE * design.sds[term.target])


def test_a_region_given_in_the_stages_units_turns_an_effect_into_a_break(exact):
    mean = float(exact.effects().set_index(["kind", "source"]).loc[("link", "engagement"), "mean"])
    table = exact.effects(rope={ENGAGEMENT_NPS: abs(mean) * 2})
    row = table[(table["kind"] == "link") & (table["source"] == "engagement")].iloc[0]
    assert row["rope"] == pytest.approx(abs(mean) * 2)
    assert row["verdict"] == "break"
    others = table[(table["kind"] == "link") & (table["source"] != "engagement")]
    assert (others["rope"] > 0).all()


@pytest.mark.parametrize(
    "centre, spread, verdict",
    [
        (0.0, 0.01, "break"),  # the data rule out anything of practical size
        (0.05, 0.1, "unclear"),  # the data say little: the interval reaches past the region
        (0.5, 0.05, "effect"),
    ],
)
def test_a_covering_interval_is_a_break_only_when_it_sits_inside_the_region(
    exact, centre, spread, verdict
):
    rng = np.random.default_rng(1)
    model = _with_link_draws(exact, 0, rng.normal(centre, spread, size=(2, 4000)))
    row = model.effects(rope={ENGAGEMENT_NPS: 0.1}).iloc[0]
    assert row["verdict"] == verdict
    assert row["covers_zero"] == (verdict != "effect")
    # P(|beta| > 0.1) of a normal posterior; 8000 draws give a standard error below 0.006.
    exact_p = stats.norm.sf(0.1, centre, spread) + stats.norm.cdf(-0.1, centre, spread)
    assert row["p_practical"] == pytest.approx(exact_p, abs=0.03)


@pytest.mark.parametrize(
    "rope, error, words",
    [
        ({"engagement -> npss": 0.1}, KeyError, "Did you mean 'engagement -> nps'"),
        ({ENGAGEMENT_NPS: -0.1}, ValueError, ">= 0"),
        ({ENGAGEMENT_NPS: float("nan")}, ValueError, "rope"),
        (-1.0, ValueError, "rope must be >= 0"),
        ("wide", TypeError, "rope"),
    ],
)
def test_a_bad_region_is_refused_by_name(exact, rope, error, words):
    with pytest.raises(error, match=words):
        exact.effects(rope=rope)
