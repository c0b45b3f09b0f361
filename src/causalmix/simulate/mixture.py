"""Unlabelled mixtures of observational and interventional samples, with their ground truth.

Notes
-----
The data are ``N`` rows from ``sum_c pi_c N(mu_c, Sigma_c)`` over the components
``c in {obs} ∪ {I_1, ..., I_K}``, where ``mu_c`` and ``Sigma_c`` are the exact population moments of
the SEM under the component's intervention. Component ``c`` has label ``c``; when the observational
component is included it is component 0 and the interventions follow in the given order.

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler, "Learning Mixtures of Unknown Causal Interventions",
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalmix._frozen import freeze_arrays
from causalmix._validation import check_positive_int, check_random_state
from causalmix.simulate.interventions import Intervention
from causalmix.simulate.sem import LinearGaussianSEM

__all__ = ["ComponentTruth", "MixtureSample", "sample_mixture"]

#: Tolerance on ``|sum(weights) - 1|``.
WEIGHT_SUM_TOL = 1e-8


@dataclass(frozen=True, eq=False)
class ComponentTruth:
    """Ground truth of one mixture component.

    Attributes
    ----------
    targets : frozenset of int
        Intervention targets (empty for the observational component).
    weight : float
        Mixing weight ``pi_c`` (the population weight, not the realised fraction).
    mean : ndarray of shape (p,)
        Exact population mean.
    covariance : ndarray of shape (p, p)
        Exact population covariance.
    intervention : Intervention or None
        ``None`` for the observational component.
    """

    targets: frozenset[int]
    weight: float
    mean: np.ndarray
    covariance: np.ndarray
    intervention: Intervention | None

    def __post_init__(self) -> None:
        freeze_arrays(self, ("mean", "covariance"), np.float64)

    @property
    def is_observational(self) -> bool:
        """Whether this is the observational component."""
        return self.intervention is None


@dataclass(frozen=True, eq=False)
class MixtureSample:
    """Samples of a mixture and everything that generated them.

    Attributes
    ----------
    X : ndarray of shape (N, p)
        Rows in random order.
    labels : ndarray of shape (N,), dtype int
        True component of each row (component ``c`` has label ``c``).
    dag : ndarray of shape (p, p), dtype int8
        True (observational) DAG.
    sem : LinearGaussianSEM
        The observational SEM.
    components : tuple of ComponentTruth
        One entry per component, in label order.
    """

    X: np.ndarray
    labels: np.ndarray
    dag: np.ndarray
    sem: LinearGaussianSEM
    components: tuple[ComponentTruth, ...]

    def __post_init__(self) -> None:
        freeze_arrays(self, ("X",), np.float64)
        freeze_arrays(self, ("labels",), np.int64)
        freeze_arrays(self, ("dag",), np.int8)
        object.__setattr__(self, "components", tuple(self.components))

    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return len(self.components)

    @property
    def observational(self) -> int | None:
        """Index of the observational component (0) or None if it was not included."""
        for c, comp in enumerate(self.components):
            if comp.is_observational:
                return c
        return None

    @property
    def targets(self) -> list[frozenset[int]]:
        """Target set of each component (empty for the observational one)."""
        return [c.targets for c in self.components]

    @property
    def weights(self) -> np.ndarray:
        """Mixing weights, shape (K,)."""
        return np.array([c.weight for c in self.components])

    @property
    def means(self) -> np.ndarray:
        """Population means, shape (K, p)."""
        return np.stack([c.mean for c in self.components])

    @property
    def covariances(self) -> np.ndarray:
        """Population covariances, shape (K, p, p)."""
        return np.stack([c.covariance for c in self.components])

    @property
    def counts(self) -> np.ndarray:
        """Number of rows drawn from each component, shape (K,)."""
        return np.bincount(self.labels, minlength=self.n_components)

    def truth_dict(self) -> dict[str, object]:
        """JSON-serialisable ground truth (lists and floats only; not the rows).

        Keys: ``n_nodes``, ``n_samples``, ``n_components``, ``observational`` (index or None),
        ``dag_edges`` (list of ``[i, j]`` for ``i -> j``), ``weights``, ``counts``, ``targets``
        (sorted lists), ``means``, ``covariances`` and ``interventions`` (one dict or None per
        component).
        """
        return {
            "n_nodes": int(self.dag.shape[0]),
            "n_samples": int(self.X.shape[0]),
            "n_components": self.n_components,
            "observational": self.observational,
            "dag_edges": [[int(i), int(j)] for i, j in np.argwhere(self.dag != 0)],
            "weights": self.weights.tolist(),
            "counts": self.counts.tolist(),
            "targets": [sorted(t) for t in self.targets],
            "means": self.means.tolist(),
            "covariances": self.covariances.tolist(),
            "interventions": [
                None if c.intervention is None else c.intervention.to_dict()
                for c in self.components
            ],
        }

    def to_json(self, **kwargs: object) -> str:
        """:meth:`truth_dict` as a JSON string; ``kwargs`` go to :func:`json.dumps`."""
        return json.dumps(self.truth_dict(), **kwargs)


def sample_mixture(
    sem: LinearGaussianSEM,
    interventions: Sequence[Intervention],
    n_samples: int,
    weights: Sequence[float] | np.ndarray | None = None,
    include_observational: bool = True,
    exact_counts: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> MixtureSample:
    """Draw an unlabelled mixture of observational and interventional samples.

    Parameters
    ----------
    sem : LinearGaussianSEM
        Observational model.
    interventions : sequence of Intervention
        One component per intervention, labelled ``1..`` after the observational component
        (``0..`` without it).
    n_samples : int
        Total number of rows ``N`` requested.
    weights : array-like of shape (K,) or None
        Mixing weights, positive and summing to 1 (tolerance 1e-8); ``None`` means equal weights.
    include_observational : bool, default True
        Whether component 0 is the observational distribution.
    exact_counts : bool, default True
        ``True`` reproduces the paper: ``floor(N / K)`` rows per component with equal weights,
        ``floor(N * w_c)`` with explicit weights (so fewer than ``N`` rows may be returned).
        ``False`` draws the counts from ``Multinomial(N, w)`` (exactly ``N`` rows).
    random_state : int, Generator or None
        One Generator drives the counts, every component's noise and the final shuffle.

    Returns
    -------
    MixtureSample

    Raises
    ------
    TypeError
        If ``sem`` or an element of ``interventions`` has the wrong type.
    ValueError
        If there is no component, ``weights`` has the wrong shape, is not positive or does not sum
        to 1, a target is outside the SEM's nodes, or ``exact_counts`` leaves a component empty.
    """
    rng = check_random_state(random_state)
    if not isinstance(sem, LinearGaussianSEM):
        raise TypeError(f"sem must be a LinearGaussianSEM, got {type(sem).__name__}")
    ivs: list[Intervention | None] = list(interventions)
    for i, iv in enumerate(ivs):
        if not isinstance(iv, Intervention):
            raise TypeError(f"interventions[{i}] must be an Intervention, got {type(iv).__name__}")
    if include_observational:
        ivs.insert(0, None)
    k = len(ivs)
    if k == 0:
        raise ValueError(
            "the mixture has no component: pass interventions or include_observational"
        )
    n = check_positive_int(n_samples, "n_samples")
    w = _check_weights(weights, k)
    if not exact_counts:
        counts = rng.multinomial(n, w)
    elif weights is None:
        counts = np.full(k, n // k)
    else:
        # the small guard keeps e.g. 100 * 0.29 = 28.999999999999996 from flooring to 28
        counts = np.floor(n * w + 1e-9).astype(np.int64)
    if exact_counts and np.any(counts == 0):
        raise ValueError(
            f"n_samples={n} is too small: exact counts {counts.tolist()} leave a component empty"
        )
    blocks, components = [], []
    for c, iv in enumerate(ivs):
        model = sem.intervene(iv)
        components.append(
            ComponentTruth(
                targets=frozenset() if iv is None else iv.targets,
                weight=float(w[c]),
                mean=model.population_mean(),
                covariance=model.population_covariance(),
                intervention=iv,
            )
        )
        blocks.append(model._sample(int(counts[c]), rng))
    labels = np.repeat(np.arange(k), counts)
    order = rng.permutation(labels.shape[0])
    X = np.concatenate(blocks)[order]
    return MixtureSample(X, labels[order], sem.dag, sem, tuple(components))


def _check_weights(weights: Sequence[float] | np.ndarray | None, k: int) -> np.ndarray:
    if weights is None:
        return np.full(k, 1.0 / k)
    try:
        w = np.array(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"weights must be a vector of {k} positive reals, got {weights!r}"
        ) from None
    if w.shape != (k,):
        raise ValueError(f"weights must have shape ({k},) (one per component), got {w.tolist()}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"weights must be finite and positive, got {w.tolist()}")
    if abs(w.sum() - 1.0) > WEIGHT_SUM_TOL:
        raise ValueError(
            f"weights must sum to 1 (tolerance {WEIGHT_SUM_TOL:g}), got sum {float(w.sum())!r}: {w.tolist()}"
        )
    return w
