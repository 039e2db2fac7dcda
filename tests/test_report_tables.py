"""The report's tables as people read them."""

import numpy as np
import pandas as pd

from exlink.report_tables import effect_range, money, percent, readable


def test_money_shares_and_missing_cells():
    frame = pd.DataFrame(
        {
            "npv_mean": [1234567.8, -42.126, np.nan],
            "p_loss": [0.125, 0.0, None],
            "selected": ["a + b", "", None],
            "count": [3, 1200, 7],
        },
        index=["x", "y", "z"],
    )
    out = readable(frame, "GBP")
    assert out.loc["x", "npv_mean"] == "1,234,568 GBP"
    assert out.loc["y", "npv_mean"] == "-42.13 GBP"
    assert out.loc["x", "p_loss"] == "12.5%"
    assert out.loc["z"].tolist() == ["–", "–", "–", "7"]
    assert out.loc["y", "count"] == "1,200"
    assert frame.loc["x", "npv_mean"] == 1234567.8  # the frame is not changed


def test_ranges_and_unit_choices_in_words():
    assert effect_range({"engagement": (0.0, 2.0)}) == "engagement +0 to +2"
    assert effect_range({"nps": (1, 4), "retention": (0.1, 0.5)}) == (
        "nps +1 to +4; retention +0.1 to +0.5"
    )
    assert effect_range({"region": "north"}) == "region = north"
    out = readable(pd.DataFrame({"effect": [{"nps": (1.0, 4.0)}], "units": [["U1", "U2"]]}), "EUR")
    assert out.iloc[0].tolist() == ["nps +1 to +4", "2 units"]
    assert money(None, "EUR") == "–" and percent(float("nan")) == "–"
    assert money(0.0, "EUR") == "0 EUR" and money(12.5, "EUR") == "12.50 EUR"
