import pytest
from posteriors import true_posterior

from exlink.datasets import make_service_chain


@pytest.fixture(scope="module")
def sim():
    return make_service_chain(n_units=12, n_periods=10, seed=5)


@pytest.fixture(scope="module")
def exact(sim):
    return true_posterior(sim)
