"""The vocabulary of :mod:`causalmix.diagnostics`: the :class:`Check` result type and the checks'
thresholds (documented with the check table there, which re-exports them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "MAX_ABS_SKEWNESS",
    "MAX_EXCESS_KURTOSIS",
    "MAX_TARGET_FRACTION",
    "MAX_WEAK_BIC_GAP",
    "MAX_WEAK_MARGIN",
    "MIN_K_AGREEMENT",
    "MIN_OBSERVATIONAL_WEIGHT",
    "MIN_ROWS_PER_NODE",
    "NEAR_CONSTANT_VARIANCE",
    "Check",
]

MIN_OBSERVATIONAL_WEIGHT = 0.05
"""An observational component below this weight is flagged (it is more likely a small cluster)."""

MAX_WEAK_MARGIN = 1
"""``observational_margin_`` at or below this is flagged when the observational component was
chosen by comparing UT-IGSP bases (``observational_method_ == "auto"``: the margin is the
runner-up base's inferred targets minus the chosen one's)."""

MAX_WEAK_BIC_GAP = 6.0
"""The same with ``refine="mechanisms"`` (``observational_method_ == "likelihood"``: the margin is
the BIC gap to the best other observational component); below 6, the evidence is not "strong"
on Kass & Raftery's scale (2 ln B ≈ ΔBIC)."""

MAX_TARGET_FRACTION = 0.5
"""More than this fraction of (interventional component, node) pairs being targets is flagged."""

MIN_ROWS_PER_NODE = 10
"""Components with fewer than this many effective rows per variable are flagged."""

MAX_ABS_SKEWNESS = 1.0
"""A within-component skewness above this (in absolute value) is flagged."""

MAX_EXCESS_KURTOSIS = 3.0
"""A within-component excess kurtosis above this (in absolute value) is flagged."""

MIN_K_AGREEMENT = 0.5
"""With stability refits (``n_resamples > 0``): flagged when no K is chosen by more than this
fraction of them (the components are not resolved on half the rows)."""

NEAR_CONSTANT_VARIANCE = 100.0
"""A variable whose within-component variance (unit-variance frame) is below this multiple of
``reg_covar`` is near-constant there (do-intervened); its shape is not judged."""


@dataclass(frozen=True)
class Check:
    """The outcome of one diagnostic check (immutable).

    Attributes
    ----------
    name : str
        Identifier (see the module table).
    flagged : bool
        True when the result is doubtful in this respect.
    value : float or None
        The measured quantity (None when the check does not apply).
    threshold : float or None
        The value it is compared with.
    message : str
        What was measured and, when flagged, what to do.
    """

    name: str
    flagged: bool
    value: float | None
    threshold: float | None
    message: str

    @property
    def passed(self) -> bool:
        """``not flagged``."""
        return not self.flagged

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (``result.json``'s ``diagnostics``)."""
        out = asdict(self)
        out["passed"] = self.passed
        return out
