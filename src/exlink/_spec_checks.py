"""Validation and parsing helpers of :mod:`exlink.spec`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from exlink._names import did_you_mean

NAME_FORM = re.compile(r"[^\W\d_]\w*(?:[ .\-]\w+)*")
NAME_RULE = (
    "a name starts with a letter and holds letters, digits and underscores, with single "
    "spaces, dots or hyphens between words (for example 'nps', 'time_effort', 'eNPS 2024')"
)


def check_name(value: object, what: str) -> str:
    """Refuse a name that is not text of the allowed form (see ``NAME_RULE``)."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__} {value!r}.")
    if not value.strip() or value != value.strip():
        raise ValueError(f"{what} {value!r} must be non-empty without surrounding spaces.")
    if len(value) > 100 or not NAME_FORM.fullmatch(value):
        raise ValueError(f"{what} {value!r} is not a valid name: {NAME_RULE}.")
    return value


def check_choice(
    value: object, valid: tuple[str, ...], what: str, owner: str, hint: str = ""
) -> str:
    if value not in valid:
        raise ValueError(
            f"{owner}: {what} {value!r} is not one of {', '.join(valid)}."
            + did_you_mean(value, valid)
            + (f" {hint}" if hint else "")
        )
    return str(value)


def check_optional_name(value: object, what: str) -> str | None:
    return None if value is None else check_name(value, what)


def spec_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix not in (".json", ".yaml", ".yml"):
        raise ValueError(f"cannot tell the format of {path}: use a .json, .yaml or .yml file.")
    return path


def refuse_repeats(names: Sequence[object], kind: str) -> None:
    seen: set[object] = set()
    repeated = [n for n in names if n in seen or seen.add(n)]
    if repeated:
        raise ValueError(f"{kind} {repeated[0]!r} appears more than once in the chain.")


def refuse_unknown_keys(spec: Mapping[str, Any], valid: Sequence[str], what: str) -> None:
    for key in spec:
        if key not in valid:
            raise ValueError(
                f"{what} spec: unknown key {key!r}.{did_you_mean(key, valid)} "
                f"Valid keys: {', '.join(valid)}."
            )


def build_from_mapping(kind: type, item: Any, what: str) -> Any:
    if not isinstance(item, Mapping):
        raise TypeError(f"each {what} must be a mapping of its fields, got {item!r}.")
    refuse_unknown_keys(item, [f.name for f in fields(kind)], what)
    try:
        return kind(**item)
    except TypeError as err:
        if "missing" in str(err):
            raise ValueError(f"{what} {dict(item)!r}: {err}.") from None
        raise


def find_cycle(nodes: Sequence[str], links: Sequence[Any]) -> list[str]:
    """Return one cycle as a list of names (first name repeated last), or []."""
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for link in links:
        children[link.source].append(link.target)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for child in children[node]:
            if state.get(child) == 1:
                return [*stack[stack.index(child) :], child]
            if child not in state and (found := visit(child)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in nodes:
        if node not in state and (found := visit(node)):
            return found
    return []
