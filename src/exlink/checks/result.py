"""What a check returns: a tidy verdict per subject and the numbers behind it.

Results are data. Their figures are drawn by
:func:`exlink.plotting.check_figure` and :func:`exlink.plotting.check_figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from exlink.spec import Chain

VERDICT_COLUMNS = ["check", "subject", "status", "passed", "message"]
PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
"""A subject's status: the check passed, failed, or could not be run on these data."""


@dataclass
class CheckResult:
    """The outcome of one falsification check.

    Attributes
    ----------
    check
        The check's name, such as ``"placebo_in_time"``.
    table
        One row per subject (an intervention effect or a link): ``subject``,
        ``status`` (``"passed"``, ``"failed"`` or ``"not run"`` when the data
        cannot support the check), ``passed`` (not failed), ``message`` and
        the numbers the verdict rests on.
    details
        The numbers behind the check's figure (for an event study, one row
        per subject and relative period); see
        :func:`exlink.plotting.check_figure`.
    """

    check: str
    table: pd.DataFrame
    details: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def passed(self) -> bool:
        """True when no subject failed."""
        return bool(self.table["passed"].all()) if len(self.table) else True

    @property
    def failures(self) -> pd.DataFrame:
        """The rows of subjects that failed."""
        return self.table[~self.table["passed"]]

    def verdicts(self) -> pd.DataFrame:
        """One tidy row per subject: ``check``, ``subject``, ``status``, ``passed``, ``message``."""
        out = self.table[["subject", "status", "passed", "message"]].copy()
        out.insert(0, "check", self.check)
        return out.reset_index(drop=True)

    def __repr__(self) -> str:
        state = "passed" if self.passed else f"FAILED for {len(self.failures)} subject(s)"
        lines = [f"{self.check}: {state}"]
        lines += [
            f"  [{status}] {subject}: {message}"
            for subject, status, message in self.table[["subject", "status", "message"]].itertuples(
                index=False
            )
        ]
        return "\n".join(lines)


@dataclass
class CheckReport:
    """Every check run on one model by :func:`~exlink.checks.check_all`.

    Attributes
    ----------
    results
        Check name -> :class:`CheckResult`, in the order run.
    """

    results: dict[str, CheckResult]

    @property
    def passed(self) -> bool:
        """True when every check passed for every subject."""
        return all(r.passed for r in self.results.values())

    def verdicts(self) -> pd.DataFrame:
        """One tidy row per check and subject."""
        frames = [r.verdicts() for r in self.results.values()]
        if not frames:
            return pd.DataFrame(columns=VERDICT_COLUMNS)
        return pd.concat(frames, ignore_index=True)

    def __getitem__(self, name: str) -> CheckResult:
        return self.results[name]

    def __repr__(self) -> str:
        head = "All checks passed." if self.passed else "Some checks FAILED: read them before use."
        return head + "\n" + "\n".join(repr(r) for r in self.results.values())


def verdict_row(subject: str, status: str, message: str, **numbers: float) -> dict:
    """One row of a check's table."""
    row = {"subject": subject, "status": status, "passed": status != FAILED, "message": message}
    return row | numbers


def chosen_interventions(chain: Chain, interventions: Sequence[str] | str | None) -> list[str]:
    """The interventions a check covers: all by default; an unknown name is refused."""
    if interventions is None:
        return list(chain.intervention_names)
    names = [interventions] if isinstance(interventions, str) else list(interventions)
    for name in names:
        chain.intervention(name)
    return names
