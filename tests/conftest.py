from pathlib import Path

import pandas as pd
import pytensor
import pytest

import exlink as xl
from frames import small_frame
from mocking import mocked_sampling

# PyTensor functions these tests compile themselves (densities and gradients, the prior
# draws of PyMC's mock sampler, ``.eval()``) run on PyTensor's Python linker, as exlink's
# own predictive draws do: Numba takes tens of seconds to compile each of them, for a
# few dozen evaluations. The NUTS sampler is unaffected: nutpie compiles the model with
# Numba whatever the default mode, as it does for users, and the tests that run exlink
# in a subprocess (the demo, the command line, the notebooks) keep PyTensor's defaults.
pytensor.config.mode = "FAST_COMPILE"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``first`` are collected first, the rest in their own order.

    ``make test`` hands whole files to two workers in collection order. The
    longest files (the demo fits the bank) then start at once, beside the rest,
    instead of last, with the other worker idle.
    """
    items.sort(key=lambda item: item.get_closest_marker("first") is None)


@pytest.fixture
def frame() -> pd.DataFrame:
    return small_frame()


STORED = Path(__file__).resolve().parent / "data"


@pytest.fixture
def stored_model():
    """A fitted model read from ``tests/data`` (written by scripts/make_test_models.py)."""

    def read(name: str = "service_chain") -> xl.ChainModel:
        return xl.ChainModel.load(STORED / f"{name}.nc")

    return read


@pytest.fixture
def mock_sample():
    """Fits in the test draw from the prior predictive (:mod:`mocking`), not by MCMC."""
    with mocked_sampling():
        yield
