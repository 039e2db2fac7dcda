"""The report as a PDF, for people who circulate documents.

A headless Chromium prints the HTML report with its print style sheet (A4,
the decision alone on page one, the budget explorer left out since paper
cannot move; its table of the best plan at every budget stays). Chromium is
found on ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``,
``google-chrome-stable``), or named by the ``EXLINK_BROWSER`` environment
variable or the ``browser`` argument.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from exlink._paths import check_output_file

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Names of a Chromium looked for on ``PATH``, in order."""

HEADLESS_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium without a screen, and without the calls home it makes at start."""


def find_browser(browser: str | Path | None = None) -> str:
    """The Chromium to print with: ``browser``, ``$EXLINK_BROWSER`` or the first on ``PATH``.

    Raises
    ------
    FileNotFoundError
        When none is found, saying how to install one.
    """
    given = browser or os.environ.get("EXLINK_BROWSER")
    if given:
        found = shutil.which(str(given))
        if found is None:
            raise FileNotFoundError(
                f"the browser {str(given)!r} was not found or is not executable: give the path "
                "of a Chromium (or Chrome) executable."
            )
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        "a PDF is printed by a headless Chromium, and none was found on PATH (looked for "
        f"{', '.join(BROWSERS)}). Install one (Debian: apt-get install chromium) or name it "
        "with EXLINK_BROWSER=/path/to/chromium."
    )


def write_pdf(
    html_file: str | Path,
    pdf_file: str | Path | None = None,
    *,
    browser: str | Path | None = None,
    timeout: float = 300,
) -> Path:
    """Print the HTML report ``html_file`` to a PDF with a headless Chromium.

    Parameters
    ----------
    html_file
        A report written by :func:`~exlink.report.write_html`.
    pdf_file
        Where to write; by default beside the HTML file, with ``.pdf``.
    browser
        The Chromium executable (see :func:`find_browser`).
    timeout
        Seconds to wait for the browser.

    Returns
    -------
    pathlib.Path
        The PDF written.

    Raises
    ------
    FileNotFoundError
        When the HTML file or a browser is missing.
    OSError
        When the browser fails to print, with what it said.
    """
    source = Path(html_file)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such report; write it with write_html first.")
    target = check_output_file(
        pdf_file if pdf_file is not None else source.with_suffix(".pdf")
    ).resolve()
    executable = find_browser(browser)
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = [*HEADLESS_FLAGS, "--no-pdf-header-footer"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    with tempfile.TemporaryDirectory(prefix="exlink-pdf-") as profile:
        written = target.with_name(f".{target.name}.partial")
        command = [
            executable,
            *flags,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={written}",
            source.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as err:
            raise OSError(
                f"{executable} did not print {source} within {timeout:g} s; raise timeout="
            ) from err
        if done.returncode != 0 or not written.is_file() or written.stat().st_size == 0:
            said = " ".join((done.stderr or "").split())[-500:]
            written.unlink(missing_ok=True)
            raise OSError(
                f"{executable} could not print {source} to PDF (exit status "
                f"{done.returncode}): {said or 'it said nothing'}"
            )
        with written.open("rb") as handle:
            if handle.read(5) != b"%PDF-":
                written.unlink(missing_ok=True)
                raise OSError(f"{executable} wrote something that is not a PDF for {source}.")
        written.replace(target)
    return target
