"""Built-in data: the Sachs protein-signalling mixture and simulated presets.

The Sachs data are not shipped with causalmix: :func:`load_sachs` reads a CSV the user gives, or the
copy named by the ``CAUSALMIX_SACHS`` environment variable, or ``../shared/data/sachs.csv`` next to a
development checkout.

References
----------
.. [1] K. Sachs, O. Perez, D. Pe'er, D. A. Lauffenburger, G. P. Nolan. Causal protein-signaling networks
   derived from multiparameter single-cell data. Science 308, 2005.
.. [2] A. Kumar, K. Shiragur, C. Uhler. Learning mixtures of unknown causal interventions. NeurIPS 2024.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "SACHS_CONSENSUS_EDGES",
    "SACHS_NODES",
    "SACHS_PAPER_TARGETS",
    "SachsData",
    "find_sachs_csv",
    "load_sachs",
]

SACHS_NODES: tuple[str, ...] = tuple("Raf Mek PLCg PIP2 PIP3 Erk Akt PKA PKC p38 JNK".split())

#: The 18-edge "consensus" graph used by Kumar et al. (2024), Table 1.
SACHS_CONSENSUS_EDGES: tuple[tuple[str, str], ...] = (
    ("PKA", "Raf"), ("PKA", "Mek"), ("PKA", "Erk"), ("PKA", "Akt"), ("PKA", "p38"), ("PKA", "JNK"),
    ("PKC", "Raf"), ("PKC", "Mek"), ("PKC", "p38"), ("PKC", "JNK"),
    ("PLCg", "PIP2"), ("PLCg", "PKC"),
    ("PIP3", "PLCg"), ("PIP3", "PIP2"), ("PIP3", "Akt"),
    ("PIP2", "PKC"), ("Raf", "Mek"), ("Mek", "Erk"),
)  # fmt: skip

#: Experiments pooled by the paper and the protein each one intervenes on (None = observational).
SACHS_PAPER_TARGETS: dict[int, str | None] = {
    1: None,
    2: None,
    3: "Akt",
    4: "PKC",
    5: "PIP2",
    6: "Mek",
    7: "PIP3",
}


@dataclass(frozen=True, eq=False)
class SachsData:
    """The pooled Sachs mixture with its (approximate) ground truth.

    Attributes
    ----------
    X : pandas.DataFrame of shape (n_rows, 11)
        Protein concentrations (log-transformed if requested), columns :data:`SACHS_NODES`.
    experiment : ndarray of shape (n_rows,)
        The experiment number of each row (1-14 in the original file).
    labels : ndarray of shape (n_rows,)
        Component index of each row: 0 for observational experiments, then one per intervention in
        the order of :attr:`targets`.
    targets : tuple of frozenset
        Target node indices per component; component 0 (observational) has ∅.
    dag : ndarray of shape (11, 11)
        The 18-edge consensus graph (``A[i, j] = 1`` iff ``i -> j``).
    """

    X: pd.DataFrame
    experiment: np.ndarray
    labels: np.ndarray
    targets: tuple[frozenset[int], ...]
    dag: np.ndarray

    @property
    def node_names(self) -> list[str]:
        """Column names, in node order."""
        return list(self.X.columns)


def find_sachs_csv(path: str | os.PathLike | None = None) -> Path:
    """Locate the Sachs CSV: ``path``, else ``$CAUSALMIX_SACHS``, else ``../shared/data/sachs.csv``.

    The last is searched relative to the working directory and, for a source checkout (an
    editable install: ``src/causalmix`` below a folder with ``pyproject.toml``), relative to the
    checkout's root; nowhere else.

    Raises
    ------
    FileNotFoundError
        With the list of places that were tried.
    """
    candidates: list[Path] = []
    if path is not None:
        candidates.append(Path(path))
    else:
        if os.environ.get("CAUSALMIX_SACHS"):
            candidates.append(Path(os.environ["CAUSALMIX_SACHS"]))
        roots = [Path.cwd()]
        checkout = Path(__file__).resolve().parents[2]
        if (checkout / "pyproject.toml").is_file() and checkout not in roots:
            roots.append(checkout)
        candidates += [root.parent / "shared" / "data" / "sachs.csv" for root in roots]
    for cand in candidates:
        if cand.is_file():
            return cand
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"Sachs data not found (tried {tried}); pass path= or set CAUSALMIX_SACHS to sachs.csv"
    )


def load_sachs(
    path: str | os.PathLike | None = None,
    *,
    experiments: Sequence[int] | None = None,
    log_transform: bool = False,
) -> SachsData:
    """Load the pooled Sachs mixture used by Kumar et al. (2024), Table 1.

    Parameters
    ----------
    path : path-like, optional
        The CSV (11 protein columns and an ``experiment`` column); see :func:`find_sachs_csv`.
    experiments : sequence of int, optional
        Experiments to pool; default the paper's 1-7 (1 and 2 observational; 3 Akt, 4 PKC, 5 PIP2,
        6 Mek, 7 PIP3). Every experiment must be one of those seven.
    log_transform : bool, default=False
        Take ``log`` of the concentrations (all positive in the file). The paper used raw values.

    Raises
    ------
    FileNotFoundError
        If the file cannot be found.
    ValueError
        If the file lacks the expected columns, an experiment is unknown or has no rows, or a
        concentration is not positive when ``log_transform`` is requested.
    """
    csv = find_sachs_csv(path)
    frame = pd.read_csv(csv)
    missing = [c for c in (*SACHS_NODES, "experiment") if c not in frame.columns]
    if missing:
        raise ValueError(f"{csv} lacks the columns {missing}")
    experiments = tuple(SACHS_PAPER_TARGETS) if experiments is None else tuple(experiments)
    unknown = [e for e in experiments if e not in SACHS_PAPER_TARGETS]
    if unknown:
        raise ValueError(
            f"experiments must be among {sorted(SACHS_PAPER_TARGETS)}, got unknown {unknown}"
        )
    frame = frame[frame["experiment"].isin(experiments)].reset_index(drop=True)
    empty = [e for e in experiments if not (frame["experiment"] == e).any()]
    if empty:
        raise ValueError(f"experiments {empty} have no rows in {csv}")
    X = frame[list(SACHS_NODES)].astype(np.float64)
    if log_transform:
        if (X.to_numpy() <= 0).any():
            raise ValueError(
                "log_transform needs positive concentrations; the file has values <= 0"
            )
        X = np.log(X)
    index = {name: k for k, name in enumerate(SACHS_NODES)}
    # one component for all observational experiments, then one per intervened protein
    comp_of_exp: dict[int, int] = {}
    targets: list[frozenset[int]] = [frozenset()]
    for e in experiments:
        protein = SACHS_PAPER_TARGETS[e]
        if protein is None:
            comp_of_exp[e] = 0
        else:
            comp_of_exp[e] = len(targets)
            targets.append(frozenset({index[protein]}))
    if not any(SACHS_PAPER_TARGETS[e] is None for e in experiments):
        raise ValueError("experiments must include an observational one (1 or 2)")
    dag = np.zeros((len(SACHS_NODES), len(SACHS_NODES)), dtype=np.int8)
    for a, b in SACHS_CONSENSUS_EDGES:
        dag[index[a], index[b]] = 1
    exp = frame["experiment"].to_numpy()
    labels = np.array([comp_of_exp[int(e)] for e in exp], dtype=np.intp)
    return SachsData(X=X, experiment=exp, labels=labels, targets=tuple(targets), dag=dag)
