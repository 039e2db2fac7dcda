"""The report's tables as people read them."""

import numpy as np
import pandas as pd
import pytest

from exlink.report_tables import effect_range, html_table, money, percent, readable, split_columns


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


def test_a_wide_table_is_split_and_each_part_keeps_the_row_labels():
    frame = pd.DataFrame(
        {
            "kind": ["link", "intervention"],
            "source": ["a", "b"],
            "target": ["c", "d"],
            **{f"v{i}": [float(i), float(i + 1)] for i in range(10)},
        }
    )
    parts = split_columns(frame, index=False, max_columns=6)
    assert all(list(part.columns[:3]) == ["kind", "source", "target"] for part in parts)
    assert all(part.shape[1] <= 6 for part in parts)
    shown = [c for part in parts for c in part.columns[3:]]
    assert shown == [f"v{i}" for i in range(10)], "every column once, in order"
    indexed = frame.set_index(["kind", "source"])
    parts = split_columns(indexed, index=True, max_columns=5)
    assert all(part.shape[1] + 2 <= 5 for part in parts)
    assert sum(part.shape[1] for part in parts) == indexed.shape[1]
    narrow = frame.iloc[:, :4]
    (only,) = split_columns(narrow, index=False)
    assert only is narrow
    with pytest.raises(ValueError, match="at least 2"):
        split_columns(frame, max_columns=1)


def test_html_table_writes_each_part_for_people():
    frame = pd.DataFrame({"name": ["x"], **{f"cost{i}": [1234.5] for i in range(3)}})
    frame = frame.rename(columns={"cost0": "cost"})
    text = html_table(frame, index=False, currency="EUR")
    assert text.count("<table") == 1
    assert "<td>1,234 EUR</td>" in text or "<td>1,235 EUR</td>" in text
    wide = pd.DataFrame({"name": ["x"], **{f"c{i}": [i] for i in range(20)}})
    assert html_table(wide, index=False).count("<table") == 3
