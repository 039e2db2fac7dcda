"""YAML syntax errors as one sentence naming the source and the line."""

from __future__ import annotations

import yaml


def yaml_error_message(err: yaml.YAMLError, source: object) -> str:
    """``"<source>, line N: not valid YAML: <problem>."`` for a PyYAML error."""
    mark = getattr(err, "problem_mark", None)
    where = f", line {mark.line + 1}" if mark is not None else ""
    problem = getattr(err, "problem", None) or " ".join(str(err).split())
    return f"{source}{where}: not valid YAML: {problem}."
