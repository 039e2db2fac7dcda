import subprocess
import sys

import pytest

from exlink.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "exlink.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_demo_describes_the_bundled_data():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "120 units (branch) x 36 monthly periods, 2023-01 to 2025-12" in out
    assert "ex         engagement" in out
    assert "coaching (people) -> engagement, enablement" in out
    assert "72 of 120 units in 3 wave(s)" in out
    assert "nps -> retention (lag 1) [threshold]" in out


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
