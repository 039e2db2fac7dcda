"""Fit and store the small models that tests read instead of sampling.

Run from the repository root: ``.venv/bin/python scripts/make_test_models.py``.
Each model is fitted on generated data with a fixed seed and written with
:meth:`exlink.ChainModel.save` to ``tests/data/<name>.nc``.
``tests/test_stored_models.py`` checks that every stored file still loads
without a warning and holds the chain and data its recipe makes; rerun this
script when it says otherwise (after a release or a change of the model's
variables).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import exlink as xl
from exlink.datasets import make_service_chain

FOLDER = Path(__file__).resolve().parents[1] / "tests" / "data"
SETTINGS = {"draws": 500, "tune": 1000, "chains": 2, "random_seed": 11, "progressbar": False}
"""Sampler settings of every stored model: small files. The models are for tests of
mechanics (tables, figures, files), not of convergence: their health is whatever these
settings give, and tests that need a converged posterior do not read them."""


def service_chain() -> xl.datasets.ServiceChainData:
    """Coaching -> engagement -> NPS -> retention -> revenue, 16 units by 12 months."""
    return make_service_chain(n_units=16, n_periods=12, seed=3)


RECIPES: dict[str, Callable[[], xl.datasets.ServiceChainData]] = {"service_chain": service_chain}
"""Stored model name -> the generated data it is fitted on."""


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for name, recipe in RECIPES.items():
        sim = recipe()
        model = xl.ChainModel(sim.chain).fit(sim.panel(), **SETTINGS)
        path = model.save(FOLDER / f"{name}.nc")
        health = model.diagnostics()
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB): {health.headline()}")


if __name__ == "__main__":
    main()
