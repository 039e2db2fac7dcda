"""The import rule: no module imports a layer above its own (see scripts/import_graph.py)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "import_graph.py"


def load():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_goes_up_a_layer():
    graph = load()
    assert graph.upward_imports() == []


def test_layers_and_imports_are_read_as_documented(tmp_path):
    graph = load()
    assert graph.layer("exlink.models.io") < graph.layer("exlink.simulation.roi")
    assert graph.layer("exlink.simulation.roi") == graph.layer("exlink.checks.placebo")
    assert graph.layer("exlink.report") < graph.layer("exlink.cli")
    module = tmp_path / "m.py"
    module.write_text("from exlink import plotting\nfrom exlink.models import io\n")
    assert graph.imports(module) == {"exlink.plotting", "exlink.models.io"}


def test_no_module_reads_another_objects_private_members():
    assert load().all_private_reads() == []


def test_private_reads_are_found_and_a_class_reading_itself_is_not(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f(model):\n    return model._design\n\n"
        "class A:\n    def g(self):\n        return self._x, type(self)._y, self.__dict__\n"
    )
    assert [hit.split(" ")[-1] for hit in load().private_reads(module)] == ["._design"]


def test_no_package_exports_a_name_that_hides_one_of_its_modules():
    import importlib
    import pkgutil
    import types

    import exlink

    packages = [exlink] + [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(exlink.__path__, "exlink.")
        if m.ispkg
    ]
    hidden = []
    for package in packages:
        for module in pkgutil.iter_modules(package.__path__):
            value = getattr(package, module.name, None)
            if value is not None and not isinstance(value, types.ModuleType):
                hidden.append(f"{package.__name__}.{module.name}")
    assert hidden == []


def test_no_two_modules_share_a_name():
    from collections import Counter

    source = load().SOURCE
    names = Counter(
        p.stem
        for p in source.rglob("*.py")
        if p.stem != "__init__" and "data" not in p.parts[-2:-1]
    )
    assert [name for name, count in names.items() if count > 1] == []
