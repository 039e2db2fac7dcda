"""PyMC's mock sampler, reaching the fits that exlink hands to nutpie directly.

:func:`pymc.testing.mock_sample_setup_and_teardown` replaces :func:`pymc.sample`
with draws from the prior predictive. exlink samples with nutpie without going
through :func:`pymc.sample`, so while mocked, its nutpie path is routed back
through the (mocked) :func:`pymc.sample`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pymc as pm
from pymc.testing import mock_sample_setup_and_teardown

from exlink.models import sampling


@contextmanager
def mocked_sampling() -> Iterator[None]:
    """Every fit inside the block draws from the prior predictive instead of sampling."""
    setup = mock_sample_setup_and_teardown()
    next(setup)
    direct = sampling._sample_nutpie
    sampling._sample_nutpie = _through_pymc_sample
    try:
        yield
    finally:
        sampling._sample_nutpie = direct
        next(setup, None)


def _through_pymc_sample(model, **settings):
    return pm.sample(model=model, **settings)
