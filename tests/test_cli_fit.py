import subprocess
import sys

import pytest

from exlink import ChainModel
from exlink.datasets import make_service_chain
from exlink.spec import Chain, Link, Stage


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "exlink.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit")
    sim = make_service_chain(
        n_units=12, n_periods=8, seed=2, start="2024-01-01", unit="branch", period="month"
    )
    sim.data.to_csv(folder / "data.csv", index=False)
    text = sim.chain.to_yaml() + "data: {unit: branch, period: month}\n"
    (folder / "chain.yaml").write_text(text)
    return folder, sim


@pytest.mark.slow
def test_fit_writes_a_model_that_loads(files):
    folder, sim = files
    result = run(
        "fit",
        "data.csv",
        "--chain",
        "chain.yaml",
        "--out",
        "m.nc",
        "--draws",
        "100",
        "--tune",
        "100",
        "--chains",
        "2",
        "--seed",
        "1",
        "--quiet",
        cwd=folder,
    )
    assert result.returncode == 0, result.stderr
    assert "12 units (branch) x 8 periods (month, monthly" in result.stdout
    assert "engagement" in result.stdout and "Saved m.nc" in result.stdout
    model = ChainModel.load(folder / "m.nc")
    assert model.chain == sim.chain
    assert model.idata.posterior.sizes["draw"] == 100


@pytest.mark.parametrize(
    "args, words",
    [
        (("fit", "nothing.csv", "--chain", "chain.yaml"), ["no data file", "nothing.csv"]),
        (("fit", "data.csv", "--chain", "none.yaml"), ["none.yaml", "no chain file"]),
        (("fit", "data.csv", "--chain", "chain.yaml", "--unit", "brnch"), ["'brnch'", "'branch'"]),
    ],
)
def test_fit_errors_are_one_line(files, args, words):
    folder, _ = files
    result = run(*args, cwd=folder)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.slow
def test_fit_reads_a_construct_from_the_chain_file(tmp_path):
    chain = Chain(
        [Stage("engagement", "ex"), Stage("cx_quality", "cx")], [Link("engagement", "cx_quality")]
    )
    sim = make_service_chain(
        n_units=12, n_periods=8, seed=2, chain=chain, constructs={"cx_quality": {}}
    )
    sim.data.to_csv(tmp_path / "data.csv", index=False)
    text = sim.chain.to_yaml() + "data: {unit: unit, period: period}\n"
    assert "items:" in text
    (tmp_path / "chain.yaml").write_text(text)
    args = ("--draws", "100", "--tune", "100", "--chains", "2", "--seed", "1", "--quiet")
    result = run("fit", "data.csv", "--chain", "chain.yaml", "--out", "m.nc", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    model = ChainModel.load(tmp_path / "m.nc")
    assert model.chain == sim.chain
    items = model.measurement().items
    assert list(items.loc["cx_quality"].index) == sim.constructs["cx_quality"]["items"]
