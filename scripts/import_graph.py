"""Print exlink's internal imports that go against its layers, and the import cycles.

Layers, lowest first (a module may import its own layer and those below):

0. foundations: ``spec``, ``data``, ``priors``, ``transforms``, ``dims``, the
   private helpers, ``link_forms``, ``periods``, ``rollouts``, ``selection``,
   ``surveys``, ``responses``, ``datasets``
1. ``models``
2. ``checks`` and ``simulate``, side by side
3. ``plotting``
4. ``report``
5. ``cli``, ``demo`` and the package front ``exlink/__init__.py``

Run: ``.venv/bin/python scripts/import_graph.py`` (exit status 1 when any
import goes upward, or when a module reads another object's private member).
Imports under ``if TYPE_CHECKING:`` count too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "exlink"
LAYERS = {
    "models": 1,
    "checks": 2,
    "simulation": 2,
    "plotting": 3,
    "report": 4,
    "report_tables": 4,
    "report_decision": 4,
    "report_explorer": 4,
    "report_model": 4,
    "report_pdf": 4,
    "cli": 5,
    "demo": 5,
}
FRONT = 5


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    if module == "exlink":
        return FRONT
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else FRONT


def imports(path: Path) -> set[str]:
    """Modules of exlink that ``path`` imports (``from exlink import plotting`` is
    ``exlink.plotting``, not the package front)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "exlink" and not node.module.startswith("exlink."):
                continue
            submodules = {f"{node.module}.{a.name}" for a in node.names}
            submodules = {m for m in submodules if _exists(m)}
            out.update(submodules)
            if len(submodules) < len(node.names):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("exlink"))
    return out


def _exists(module: str) -> bool:
    base = SOURCE.parent / module.replace(".", "/")
    return base.is_dir() or base.with_suffix(".py").exists()


def upward_imports() -> list[tuple[str, str]]:
    """Every (module, imported module) pair where the import goes up a layer."""
    graph = {module_name(p): imports(p) for p in sorted(SOURCE.rglob("*.py"))}
    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if target in graph and layer(target) > layer(source) and not target.startswith(source + ".")
    )


def private_reads(path: Path) -> list[str]:
    """``object._member`` reads in ``path`` of another object's private member.

    ``self._x`` and ``cls._x`` are a class reading itself; ``type(self)._x``
    likewise. Anything else reaches into another object's inner state, which
    its owner may change without notice.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
            continue
        if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "type":
            continue
        where = module_name(path) if path.is_relative_to(SOURCE) else path.name
        found.append(f"{where}:{node.lineno} .{node.attr}")
    return found


def all_private_reads() -> list[str]:
    """:func:`private_reads` over every module of exlink."""
    return [hit for p in sorted(SOURCE.rglob("*.py")) for hit in private_reads(p)]


def main() -> int:
    modules = sorted(SOURCE.rglob("*.py"))
    total = sum(len(imports(p)) for p in modules)
    upward = upward_imports()
    print(f"{len(modules)} modules, {total} internal imports")
    print(f"{len(upward)} imports go upward:")
    for source, target in upward:
        print(f"  {source} (layer {layer(source)}) -> {target} (layer {layer(target)})")
    private = all_private_reads()
    print(f"{len(private)} reads of another object's private member:")
    for hit in private:
        print(f"  {hit}")
    return 1 if upward or private else 0


if __name__ == "__main__":
    sys.exit(main())
