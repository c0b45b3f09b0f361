"""Linear Gaussian structural equation models: exact population moments and sampling.

Notes
-----
The model is ``X = Wᵀ X + e``, i.e. ``X_j = sum_i W[i, j] X_i + e_j`` with independent noise
``e ~ N(mu_e, diag(s2))``. The support of ``W`` is the DAG in the adjacency convention of
:mod:`causalmix.graphs` (``W[i, j] != 0`` iff ``i -> j``). With ``B = (I - Wᵀ)⁻¹``,

    mean = B mu_e,        covariance = B diag(s2) Bᵀ,

and a sample is ``x = B e``. These population values are the ground truth for every parameter-error
metric (they play the role of sempler's ``population=True`` mode).

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler, "Learning Mixtures of Unknown Causal Interventions",
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalmix._frozen import freeze_arrays
from causalmix._validation import check_positive_int, check_random_state, check_real
from causalmix.graphs import check_dag
from causalmix.simulate.dags import random_dag
from causalmix.simulate.interventions import Intervention

__all__ = ["LinearGaussianSEM", "random_sem"]


@dataclass(frozen=True, eq=False)
class LinearGaussianSEM:
    """A linear SEM with independent Gaussian noise.

    Parameters
    ----------
    weights : array-like of shape (p, p)
        ``weights[i, j]`` is the coefficient of ``X_i`` in the equation of ``X_j``; its support must
        be a DAG.
    noise_mean : float or array-like of shape (p,)
        Mean of the noise ``e``; a scalar is broadcast to every node.
    noise_var : float or array-like of shape (p,)
        Variance of the noise, ``> 0``; a scalar is broadcast to every node.

    Raises
    ------
    ValueError
        If ``weights`` is not square and finite, has a non-zero diagonal, its support has a cycle, or the noise parameters
        have the wrong shape, are not finite, or a variance is not positive.

    Notes
    -----
    Arrays are stored as read-only float64 copies; the caller's arrays are never changed.
    """

    weights: np.ndarray
    noise_mean: np.ndarray
    noise_var: np.ndarray

    def __post_init__(self) -> None:
        w = np.array(self.weights, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
            raise ValueError(f"weights must be a non-empty square matrix, got shape {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite")
        p = w.shape[0]
        check_dag(w != 0, "weights")
        mu = _per_node(self.noise_mean, p, "noise_mean")
        s2 = _per_node(self.noise_var, p, "noise_var")
        if np.any(s2 <= 0):
            raise ValueError(f"noise_var must be positive for every node, got {s2.tolist()}")
        for name, arr in (("weights", w), ("noise_mean", mu), ("noise_var", s2)):
            object.__setattr__(self, name, arr)
        freeze_arrays(self, ("weights", "noise_mean", "noise_var"))

    @property
    def n_nodes(self) -> int:
        """Number of variables ``p``."""
        return int(self.weights.shape[0])

    @property
    def dag(self) -> np.ndarray:
        """Adjacency matrix of the DAG (``int8``, ``A[i, j] = 1`` iff ``weights[i, j] != 0``)."""
        return (self.weights != 0).astype(np.int8)

    def intervene(self, intervention: Intervention | None) -> LinearGaussianSEM:
        """The SEM after ``intervention`` (``None`` returns ``self``).

        Raises
        ------
        TypeError
            If ``intervention`` is not an :class:`Intervention` or None.
        ValueError
            If a target is outside ``0..p-1``.
        """
        if intervention is None:
            return self
        if not isinstance(intervention, Intervention):
            raise TypeError(
                f"intervention must be an Intervention or None, got {type(intervention).__name__}"
            )
        return LinearGaussianSEM(*intervention.apply(self.weights, self.noise_mean, self.noise_var))

    def _mixing_matrix(self) -> np.ndarray:
        """``B = (I - Wᵀ)⁻¹``, so that ``x = B e``."""
        p = self.n_nodes
        return np.linalg.solve(np.eye(p) - self.weights.T, np.eye(p))

    def population_mean(self, intervention: Intervention | None = None) -> np.ndarray:
        """Exact mean ``B mu_e`` of the (intervened) model, shape (p,)."""
        sem = self.intervene(intervention)
        return sem._mixing_matrix() @ sem.noise_mean

    def population_covariance(self, intervention: Intervention | None = None) -> np.ndarray:
        """Exact covariance ``B diag(s2) Bᵀ`` of the (intervened) model, shape (p, p)."""
        sem = self.intervene(intervention)
        b = sem._mixing_matrix()
        cov = (b * sem.noise_var) @ b.T
        return (cov + cov.T) / 2.0  # exact symmetry despite rounding

    def sample(
        self,
        n: int,
        intervention: Intervention | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> np.ndarray:
        """Draw ``n`` i.i.d. rows from the (intervened) model.

        Parameters
        ----------
        n : int
            Number of rows, ``>= 0``.
        intervention : Intervention or None
        random_state : int, Generator or None

        Returns
        -------
        ndarray of shape (n, p)
        """
        n = check_positive_int(n, "n", minimum=0)
        rng = check_random_state(random_state)
        return self.intervene(intervention)._sample(n, rng)

    def _sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        noise = self.noise_mean + np.sqrt(self.noise_var) * rng.standard_normal((n, self.n_nodes))
        return noise @ self._mixing_matrix().T  # rows x = B e


def random_sem(
    n_nodes: int,
    density: float | None = None,
    weight_range: tuple[float, float] = (0.5, 1.0),
    noise_mean: float | np.ndarray = 0.0,
    noise_var: float | np.ndarray = 1.0,
    permute: bool = True,
    expected_degree: float | None = None,
    random_state: int | np.random.Generator | None = None,
) -> LinearGaussianSEM:
    """Random linear Gaussian SEM on a random DAG (the paper's simulation model).

    Parameters
    ----------
    n_nodes : int
        Number of nodes ``p >= 1``.
    density : float in [0, 1] or None
        Edge probability; ``None`` means the paper's 0.8 unless ``expected_degree`` is given.
        See :func:`~causalmix.simulate.random_dag`.
    weight_range : (low, high), default (0.5, 1.0)
        Edge weights are ``sign * U[low, high]`` with a fair random sign; ``0 < low <= high``.
    noise_mean, noise_var : float or array-like of shape (p,), defaults 0 and 1
    permute : bool, default True
        Random node order; ``False`` gives a strictly upper-triangular DAG as in the paper.
    expected_degree : float or None
        Alternative to ``density`` (mutually exclusive).
    random_state : int, Generator or None

    Returns
    -------
    LinearGaussianSEM

    Raises
    ------
    ValueError
        For a bad ``weight_range`` or any error of :func:`random_dag` / :class:`LinearGaussianSEM`.
    """
    rng = check_random_state(random_state)
    low, high = _check_weight_range(weight_range)
    dag = random_dag(
        n_nodes, density, expected_degree=expected_degree, permute=permute, random_state=rng
    )
    p = dag.shape[0]
    signs = rng.choice(np.array([-1.0, 1.0]), size=(p, p))
    magnitudes = rng.uniform(low, high, size=(p, p))
    return LinearGaussianSEM(dag * signs * magnitudes, noise_mean, noise_var)


def _check_weight_range(weight_range: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = weight_range
    except (TypeError, ValueError):
        raise ValueError(f"weight_range must be a pair (low, high), got {weight_range!r}") from None
    low = check_real(low, "weight_range[0]", low=0.0, low_inclusive=False)
    high = check_real(high, "weight_range[1]", low=low)
    return low, high


def _per_node(value: object, p: int, name: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real scalar or vector, got {value!r}") from None
    if arr.ndim == 0:
        arr = np.full(p, float(arr))
    if arr.shape != (p,):
        raise ValueError(f"{name} must be a scalar or have shape ({p},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    return arr
