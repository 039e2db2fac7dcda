import subprocess
import sys

import pytest

from exlink.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "exlink.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_help_names_its_options():
    result = run("demo", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--out", "--draws", "--tune", "--chains", "--seed", "--quiet"):
        assert option in result.stdout
    assert "exlink-demo" in result.stdout


def test_no_command_prints_help_and_fails():
    result = run()
    assert result.returncode == 2
    assert "demo" in result.stdout


def test_unknown_command_fails_with_one_line():
    result = run("fitt")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert "Traceback" not in result.stderr


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("exlink ")
