"""Small valid frames for Panel tests."""

import numpy as np
import pandas as pd


def small_frame(n_units: int = 4, n_periods: int = 5, seed: int = 0) -> pd.DataFrame:
    """A valid long frame: two stages, one intervention, two attributes."""
    rng = np.random.default_rng(seed)
    units = [f"b{i}" for i in range(n_units)]
    frame = pd.DataFrame(
        [(u, t) for u in units for t in range(1, n_periods + 1)], columns=["branch", "month"]
    )
    frame["engagement"] = rng.normal(70, 5, len(frame))
    frame["nps"] = rng.normal(30, 8, len(frame))
    frame["coaching"] = ((frame["month"] > 2) & frame["branch"].isin(units[:2])).astype(float)
    frame["region"] = frame["branch"].map(
        {u: ["north", "south"][i % 2] for i, u in enumerate(units)}
    )
    frame["culture"] = frame["branch"].map({u: 3.0 + 0.1 * i for i, u in enumerate(units)})
    return frame


PANEL_ARGS = {
    "unit": "branch",
    "period": "month",
    "stages": ["engagement", "nps"],
    "interventions": ["coaching"],
    "attributes": ["region", "culture"],
}
