"""Same data, chain, priors and seed: bit-identical draws, with cold or warm compile caches."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

FIT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import exlink as xl
from exlink.datasets import make_service_chain

# Two stages, a lagged link, one ramped intervention: the whole model in few operations,
# so that compiling it twice from nothing stays short.
chain = xl.Chain(
    stages=[xl.Stage("engagement", "ex"), xl.Stage("retention", "customer")],
    links=[xl.Link("engagement", "retention", lag=1)],
    interventions=[xl.Intervention("coaching", "engagement", lever="people")],
)
data = make_service_chain(20, 10, seed=3, chain=chain)
model = xl.ChainModel(data.chain).fit(
    data.panel(), draws=100, tune=100, chains=2, random_seed=9, progressbar=False
)
posterior = model.idata.posterior
print(json.dumps({name: posterior[name].values.ravel().tolist() for name in ("beta", "gamma")}))
"""


def _fit_in_fresh_process(cache) -> dict[str, list[float]]:
    env = dict(
        os.environ,
        PYTENSOR_FLAGS=f"base_compiledir={cache / 'pytensor'}",
        NUMBA_CACHE_DIR=str(cache / "numba"),
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
