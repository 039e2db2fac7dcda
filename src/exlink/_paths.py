"""Checks on where results are written, made before any work is done."""

from __future__ import annotations

import os
from pathlib import Path


def _check_parents(path: Path, shown: Path) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{shown}: {parent} is a file, not a folder.")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ValueError(f"{shown}: the folder {parent} cannot be written.")
            return


def check_output_file(path: str | Path, suffix: str | None = None) -> Path:
    """Refuse a file path that cannot take a new file: wrong suffix, a folder, under a file.

    Raises
    ------
    ValueError
        Naming the path and what is wrong with it.
    """
    path = Path(path)
    if suffix is not None and path.suffix != suffix:
        raise ValueError(f"{path}: write to a {suffix} file, such as {path.with_suffix(suffix)}.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give a file name inside it.")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{path} exists and cannot be overwritten.")
    _check_parents(path.absolute(), path)
    return path


def check_output_folder(path: str | Path) -> Path:
    """Refuse a folder path that is a file, lies under a file or cannot be written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file: give a folder to write into.")
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"the folder {path} cannot be written.")
    _check_parents(path.absolute(), path)
    return path


def check_input_file(path: str | Path, what: str) -> Path:
    """Refuse an input path that does not exist or is a folder."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {path}.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder: give the {what} itself.")
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write a text file whole or not at all: a temporary file beside it, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
