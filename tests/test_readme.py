import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::exlink.ConvergenceWarning")
def test_readme_quickstart_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python quickstart"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "chain.yaml").exists()
    assert namespace["panel"].n_units == 120
    assert namespace["chain"].max_lag == 1
    assert (tmp_path / "model.nc").exists()
    assert namespace["same"].effects().equals(namespace["model"].effects())
    assert set(namespace["plan"].selected) <= {"coaching_rollout", "recognition_app"}
    assert len(namespace["result"].summary()) == 2


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
