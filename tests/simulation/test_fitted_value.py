"""The fitted model's read-only value, refits through a public method, panels copied whole."""

import dataclasses

import numpy as np
import pytest
import xarray as xr

import exlink as xl
from exlink.models.fitted import FittedChain


def test_the_fitted_value_holds_what_the_model_holds_and_cannot_be_changed(exact):
    fitted = exact.fitted
    assert isinstance(fitted, FittedChain)
    assert fitted.chain is exact.chain and fitted.panel is exact.panel
    assert fitted.design is exact.design and fitted.idata is exact.idata
    assert fitted.chains == exact.idata.posterior.sizes["chain"]
    xr.testing.assert_identical(fitted.posterior, exact.idata.posterior.to_dataset())
    with pytest.raises(dataclasses.FrozenInstanceError):
        fitted.chain = None
    with pytest.raises(TypeError):
        fitted.priors["beta"] = xl.Prior("Normal", mu=0, sigma=1)
    assert fitted.thinned_posterior(2).sizes["draw"] * fitted.chains <= 4


def test_diagnostics_are_computed_once_and_again_for_a_new_posterior(exact):
    first = exact.diagnostics()
    assert exact.diagnostics() is first
    copy = xl.ChainModel(exact.chain).build(exact.panel)
    copy.idata = exact.idata.copy()
    assert copy.diagnostics() is not first
    assert copy.fitted is copy.fitted


def test_an_unfitted_model_says_what_to_call():
    sim = xl.datasets.make_service_chain(n_units=6, n_periods=8, seed=2)
    model = xl.ChainModel(sim.chain)
    with pytest.raises(RuntimeError, match=r"model\.fit"):
        _ = model.fitted
    with pytest.raises(RuntimeError, match="build"):
        _ = model.design


def test_respecify_keeps_the_class_and_changes_only_what_is_given(exact):
    class Custom(xl.ChainModel):
        pass

    model = Custom(exact.chain, {"beta": xl.Prior("Normal", mu=0, sigma=0.5)})
    same = model.respecify()
    assert type(same) is Custom and same.chain is model.chain and same.priors == model.priors
    assert same.idata is None and same is not model
    other = model.respecify(priors={})
    assert other.priors == {} and other.chain is model.chain


def test_with_exposure_copies_the_panel_whole_and_leaves_it_alone():
    sim = xl.datasets.make_service_chain(
        8,
        10,
        seed=3,
        chain=xl.datasets.SURVEY_CHAIN,
        **xl.datasets.SURVEY_CHAIN_TRUTH,
    )
    panel = sim.panel()
    before = panel.exposure.copy()
    doubled = panel.with_exposure(panel.exposure * 0.5)
    np.testing.assert_allclose(doubled.exposure.values, before.values * 0.5)
    xr.testing.assert_identical(panel.exposure, before)
    assert doubled.surveys == panel.surveys and doubled.surveys
    xr.testing.assert_identical(doubled.survey_data, panel.survey_data)
    assert list(doubled.periods) == list(panel.periods)
    with pytest.raises(ValueError, match="dims"):
        panel.with_exposure(panel.exposure.transpose("unit", ...))
    with pytest.raises(ValueError, match="units"):
        panel.with_exposure(panel.exposure.isel(unit=slice(0, 3)))
