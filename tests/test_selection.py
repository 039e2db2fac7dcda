"""Unit selections: structured forms and a parser that can only compare, never run code."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exlink.selection import SelectionError, parse_selection, select_units

UNITS = pd.Index(["b1", "b2", "b3", "b4", "b5"], name="branch")
ATTRIBUTES = pd.DataFrame(
    {
        "region": ["north", "north", "east", "south", "east"],
        "culture": [1.0, 3.5, 4.0, 2.0, 3.0],
    },
    index=UNITS,
)
TREATED = np.array([True, False, True, False, False])


def chosen(choice, **kwargs):
    return list(UNITS[select_units(choice, UNITS, ATTRIBUTES, treated=TREATED, **kwargs)])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("all", ["b1", "b2", "b3", "b4", "b5"]),
        ("treated", ["b1", "b3"]),
        ("untreated", ["b2", "b4", "b5"]),
        (["b2", "b4"], ["b2", "b4"]),
        ({"region": "north"}, ["b1", "b2"]),
        ({"region": ["north", "east"]}, ["b1", "b2", "b3", "b5"]),
        ({"culture": {"min": 3}}, ["b2", "b3", "b5"]),
        ({"culture": {"min": 2, "max": 3.5}}, ["b2", "b4", "b5"]),
        ({"region": {"not": ["south", "east"]}}, ["b1", "b2"]),
        ({"region": "east", "culture": {"max": 3}}, ["b5"]),
        ("region == 'north'", ["b1", "b2"]),
        ('region != "north" and culture >= 3', ["b3", "b5"]),
        ("culture < 2 or culture > 3.9", ["b1", "b3"]),
        ("(region == 'east' or region == 'south') and culture <= 2", ["b4"]),
        ("culture >= 1e0 and culture < -1e3 or region == 'south'", ["b4"]),
    ],
)
def test_selections_choose_the_expected_units(choice, expected):
    assert chosen(choice) == expected


def test_a_function_of_the_attributes_is_accepted_in_python():
    assert chosen(lambda table: table["culture"] > 3.2) == ["b2", "b3"]


@pytest.mark.parametrize(
    "payload",
    [
        "@pd.io.common.os.system('id > pwned.txt')",
        "__import__('os').system('id')",
        "region.str.startswith('n')",
        "culture > 3; import os",
        "`culture` > 3",
        "exec('1')",
        "culture > @threshold",
        "region == north",
        "lambda: 1",
        "culture >",
        "(culture > 3",
        "culture > 3)",
        "and culture > 3",
    ],
)
def test_code_and_malformed_text_are_refused_without_running(payload, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SelectionError) as info:
        parse_selection(payload, "Investment 'x': units")
    message = str(info.value)
    assert "Investment 'x': units" in message
    assert "region == 'north'" in message or "culture >= 3" in message
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize(
    ("choice", "words"),
    [
        ("size > 3", ["unknown unit attribute 'size'", "'culture'"]),
        ("region > 3", ["text", "quoted"]),
        ("culture == 'high'", ["numeric", "number"]),
        ("region < 'north'", ["== or != only"]),
        ({"culture": {"least": 3}}, ["min, max, in, not"]),
        ({"culture": {"min": "x"}}, ["min must be a number"]),
        ({"culture": {"min": float("inf")}}, ["finite"]),
        ({"region": []}, ["empty list"]),
        ({"region": None}, ["number or a text"]),
        ({}, ["empty mapping"]),
        ([], ["empty list"]),
        (["b1", "zz"], ["unknown unit 'zz'"]),
        ("region == 'mars'", ["selects no unit", "mars"]),
        (3.5, ["must be 'all'"]),
        (lambda table: np.ones(2, bool), ["one boolean per unit"]),
    ],
)
def test_wrong_selections_say_what_is_wrong(choice, words):
    with pytest.raises(SelectionError) as info:
        chosen(choice, what="Investment 'x': units")
    for word in words:
        assert word in str(info.value), str(info.value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.lists(
            st.sampled_from(
                [
                    *["region", "culture", "==", "!=", "<", ">=", "and", "or", "(", ")"],
                    *["'north'", "3", "@", "os", ".", "system", "'id'", "1e9", "-", "not"],
                ]
            ),
            max_size=12,
        ).map(" ".join),
    )
)
def test_any_text_gives_units_or_a_selection_error(text):
    """Property: any text yields positions of real units or a SelectionError, nothing else."""
    try:
        picked = select_units(text, UNITS, ATTRIBUTES, treated=TREATED)
    except SelectionError as err:
        assert str(err)
    else:
        assert len(picked) >= 1
        assert set(picked) <= set(range(len(UNITS)))
