"""Independent calls here (the Dask path is in test_distributed.py)."""

import warnings

import pytest

from exlink._tasks import check_client, run_tasks


def noisy(x):
    warnings.warn(f"saw {x}", UserWarning, stacklevel=1)
    return x * 10


def test_calls_run_in_order_with_their_warnings():
    with pytest.warns(UserWarning, match="saw 2"):
        assert run_tasks(noisy, [(1,), (2,), (3,)], progressbar=True) == [10, 20, 30]
    assert run_tasks(noisy, []) == []


def test_a_client_must_be_a_dask_client():
    with pytest.raises(TypeError, match=r"dask\.distributed\.Client"):
        check_client("tcp://localhost:8786")
    with pytest.raises(TypeError, match="got list"):
        run_tasks(noisy, [(1,)], client=[])
