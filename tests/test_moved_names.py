"""Old module paths and names keep working, warn, and give the very same objects."""

import importlib
import sys
import warnings

import pytest

import exlink as xl
import exlink.checks.prior_width
import exlink.models.propagation
import exlink.rollouts
import exlink.simulation.finance_sensitivity
import exlink.simulation.scenario
import exlink.transforms


def test_the_function_simulate_is_not_shadowed_by_a_package():
    assert callable(xl.simulate)
    assert xl.simulate.__module__ == "exlink.simulation.roi"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("exlink.simulate.scenario", exlink.simulation.scenario),
        ("exlink.simulate.sensitivity", exlink.simulation.finance_sensitivity),
        ("exlink.simulate.forward", exlink.models.propagation),
        ("exlink.checks.sensitivity", exlink.checks.prior_width),
    ],
)
def test_an_old_module_path_warns_and_is_the_new_module(old, new):
    sys.modules.pop(old, None)
    with pytest.warns(FutureWarning, match=f"{old} is now {new.__name__}"):
        module = importlib.import_module(old)
    assert module is new
    assert new.__spec__.name == new.__name__, "the module keeps its own spec"


def test_names_from_the_old_package_warn_once_and_are_the_new_objects():
    with pytest.warns(FutureWarning, match="exlink.simulate.Finance is now") as caught:
        from exlink.simulate import Finance
    assert Finance is xl.Finance
    assert len([w for w in caught if "Finance" in str(w.message)]) == 1
    with pytest.raises(ImportError):
        from exlink.simulate import not_a_name  # noqa: F401


@pytest.mark.parametrize(
    ("module", "old", "new"),
    [
        (exlink.transforms, "exposure", "ramped_exposure"),
        (exlink.transforms, "exposure_after", "ramped_exposure_after"),
        (exlink.transforms, "exposure_tensor", "ramped_exposure_tensor"),
        (exlink.rollouts, "placebo_in_time", "early_rollout"),
        (exlink.rollouts, "placebo_in_space", "borrowed_rollout"),
        (exlink.models.propagation, "ChainDraws", "StandardisedDraws"),
    ],
)
def test_a_renamed_function_or_class_answers_to_its_old_name(module, old, new):
    with pytest.warns(FutureWarning, match=f"{old} is now .*{new}"):
        value = getattr(module, old)
    assert value is getattr(module, new)
    with pytest.raises(AttributeError, match="no attribute"):
        _ = module.not_a_name


def test_new_paths_import_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from exlink.checks import prior_width  # noqa: F401
        from exlink.simulation import npv_sensitivity  # noqa: F401
