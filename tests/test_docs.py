"""The documentation says what the code does: every command-line option is on the CLI page."""

import argparse
from pathlib import Path

import pytest

from exlink.cli import build_parser

DOCS = Path(__file__).parents[1] / "docs"


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_of_every_command_is_documented(command):
    text = (DOCS / "cli.rst").read_text()
    section = text.split(f"``exlink {command}``")[1].split("\n``exlink ")[0]
    options = [
        option
        for action in _commands()[command]._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    assert options
    missing = [option for option in options if f"``{option}``" not in section]
    assert not missing, f"docs/cli.rst does not document {missing} of exlink {command}"


def test_every_page_is_in_the_table_of_contents():
    index = (DOCS / "index.rst").read_text()
    pages = {p.stem for p in DOCS.glob("*.rst")} - {"index"}
    assert pages == {line.strip() for line in index.splitlines() if line.strip() in pages}
