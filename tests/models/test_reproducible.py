"""Same data, chain, priors and seed: bit-identical draws, with cold or warm compile caches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import exlink as xl
from exlink.datasets import make_service_chain
from small_chains import TWO_STAGES  # compiling it twice from nothing stays short

data = make_service_chain(20, 10, seed=3, chain=TWO_STAGES)
model = xl.ChainModel(data.chain).fit(
    data.panel(), draws=100, tune=100, chains=2, random_seed=9, progressbar=False
)
posterior = model.idata.posterior
print(json.dumps({name: posterior[name].values.ravel().tolist() for name in ("beta", "gamma")}))
"""
HERE = Path(__file__).parents[1]
"""The tests folder, where the fit's script finds :mod:`small_chains`."""


def _fit_in_fresh_process(cache) -> dict[str, list[float]]:
    env = dict(
        os.environ,
        PYTENSOR_FLAGS=f"base_compiledir={cache / 'pytensor'}",
        NUMBA_CACHE_DIR=str(cache / "numba"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    )
    done = subprocess.run(
        [sys.executable, "-c", FIT], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_seeded_fit_is_identical_on_cold_and_warm_caches(tmp_path):
    cold = _fit_in_fresh_process(tmp_path)  # an empty cache folder: everything compiles
    warm = _fit_in_fresh_process(tmp_path)  # the same folder, now filled
    assert cold == warm  # bit for bit: JSON keeps every digit of a float64
