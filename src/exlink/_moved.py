"""Names that moved, kept working for a while with a :class:`FutureWarning`.

Two kinds of move are served:

- modules: ``exlink.simulate.*`` is now ``exlink.simulation.*`` (the package
  no longer shares its name with the function :func:`exlink.simulate`), and
  two modules called ``sensitivity`` became ``exlink.checks.prior_width``
  and ``exlink.simulation.finance_sensitivity``; no module shares its name
  with a function its package exports. An import of an old path
  returns the module at its new path, the same object, so classes and
  functions are identical whichever path a user wrote;
- functions and classes renamed inside a module: the module's
  ``__getattr__`` (:func:`renamed_attributes`) serves the old name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

MOVED_PACKAGES = {"exlink.simulate": "exlink.simulation"}
"""Old package -> new package; their modules moved with them."""

MOVED_MODULES = {
    "exlink.simulate.sensitivity": "exlink.simulation.finance_sensitivity",
    "exlink.simulate.forward": "exlink.models.propagation",
    "exlink.simulate.selection": "exlink.simulation.optimisation",
    "exlink.checks.sensitivity": "exlink.checks.prior_width",
    "exlink.plotting.chain_diagram": "exlink.plotting.chain_figures",
    "exlink.plotting.check_figures": "exlink.plotting.causal_figures",
}
"""Old module path -> new module path, where the module itself was renamed."""


def new_module_name(name: str) -> str | None:
    """The current path of a module that moved; ``None`` for one that did not."""
    if name in MOVED_MODULES:
        return MOVED_MODULES[name]
    for old, new in MOVED_PACKAGES.items():
        if name.startswith(old + "."):
            return new + name[len(old) :]
    return None


def _warn_moved(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is now {new}; the old name still works for now and will be removed.",
        FutureWarning,
        stacklevel=3,
    )


class _MovedPackage(types.ModuleType):
    """Stands at an old package path and hands out the new package's names."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, f"Moved to {target}.")
        self.__path__: list[str] = []
        self.__moved_to__ = target

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        value = getattr(importlib.import_module(self.__moved_to__), attribute)
        _warn_moved(f"{self.__name__}.{attribute}", f"{self.__moved_to__}.{attribute}")
        setattr(self, attribute, value)  # once per name: an import looks a name up twice
        return value


class _MovedLoader(importlib.abc.Loader):
    """Loads an old module path as the module at its new path (the same object)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.spec = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        _warn_moved(self.old, self.new)
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system gave the module the old path's spec: give it back its own.
        module.__spec__ = self.spec


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Finds old module paths (consulted after every other finder)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None):
        new = new_module_name(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _MovedLoader(fullname, new))


def install_moved_modules() -> None:
    """Make the old module paths importable (idempotent)."""
    for old, new in MOVED_PACKAGES.items():
        sys.modules.setdefault(old, _MovedPackage(old, new))
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())


def renamed_attributes(module: str, renames: dict[str, str]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` serving the old names of renamed functions and classes.

    Parameters
    ----------
    module
        The module's ``__name__``.
    renames
        Old name -> new name, both in that module.
    """

    def moved_attribute(name: str) -> Any:
        if name in renames:
            warnings.warn(
                f"{module}.{name} is now {module}.{renames[name]}; the old name still works "
                "for now and will be removed.",
                FutureWarning,
                stacklevel=2,
            )
            return getattr(sys.modules[module], renames[name])
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return moved_attribute
