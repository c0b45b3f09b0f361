"""Interventions on a linear Gaussian SEM: ``do``, ``hard``, ``soft`` and ``shift``.

An :class:`Intervention` is a frozen description (target set, kind, parameters); it is applied to a
:class:`~causalmix.simulate.sem.LinearGaussianSEM` by
:meth:`~causalmix.simulate.sem.LinearGaussianSEM.intervene`, which checks the targets against the
SEM's nodes. :func:`paper_interventions` builds the intervention families used in the experiments.

Notes
-----
With the model ``X_j = sum_i W[i, j] X_i + e_j``, ``e_j ~ N(mu_j, s2_j)``, an intervention on the
target set ``I`` changes, for every ``j in I``:

- ``do``    : ``W[:, j] = 0``, ``mu_j = value``, ``s2_j = var`` (``var = 1e-9`` as in the paper:
  near-deterministic, so the component's covariance is almost singular);
- ``hard``  : ``W[:, j] = 0``, ``mu_j = mean``, ``s2_j = var`` (stochastic perfect intervention);
- ``soft``  : ``W[:, j] *= weight_scale`` (parents kept), and ``mu_j = mean`` / ``s2_j = var`` when
  given;
- ``shift`` : ``mu_j += shift`` only.

References
----------
.. [1] A. Kumar, K. Shiragur and C. Uhler, "Learning Mixtures of Unknown Causal Interventions",
   NeurIPS 2024, arXiv:2411.00213.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from causalmix._validation import check_node_set, check_random_state, check_real

if TYPE_CHECKING:
    from causalmix.simulate.sem import LinearGaussianSEM

__all__ = [
    "Intervention",
    "do_intervention",
    "hard_intervention",
    "paper_interventions",
    "shift_intervention",
    "soft_intervention",
]

InterventionKind = Literal["do", "hard", "soft", "shift"]
_KINDS = ("do", "hard", "soft", "shift")
_MAX_NODE = np.iinfo(np.int64).max
#: Noise variance of a ``do`` intervention, as in the reference experiments.
DO_VARIANCE = 1e-9


@dataclass(frozen=True)
class Intervention:
    """An intervention on a set of target nodes.

    Prefer the constructors :func:`do_intervention`, :func:`hard_intervention`,
    :func:`soft_intervention` and :func:`shift_intervention`, which fill in the right parameters.

    Attributes
    ----------
    targets : frozenset of int
        The intervened nodes (non-empty). They are checked against ``0..p-1`` when the intervention
        is applied to a SEM with ``p`` nodes.
    kind : {"do", "hard", "soft", "shift"}
        See the module notes for the effect of each kind.
    mean : float or None
        New noise mean of every target (``do``: the forced value). ``None`` keeps it (``soft``).
    var : float or None
        New noise variance of every target, ``> 0``. ``None`` keeps it (``soft``).
    weight_scale : float
        Factor applied to the incoming weights of every target (``soft`` only; 1 otherwise).
    shift : float
        Added to the noise mean of every target (``shift`` only; 0 otherwise).

    Raises
    ------
    ValueError
        For an empty target set, a negative node, an unknown kind, a non-positive variance or
        parameters that do not belong to the kind.
    TypeError
        For non-integer targets or non-real parameters.
    """

    targets: frozenset[int]
    kind: InterventionKind
    mean: float | None = None
    var: float | None = None
    weight_scale: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        targets = _check_targets(self.targets)
        object.__setattr__(self, "targets", targets)
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {self.kind!r}")
        if self.mean is not None:
            object.__setattr__(self, "mean", check_real(self.mean, "mean"))
        if self.var is not None:
            var = check_real(self.var, "var", low=0.0, low_inclusive=False)
            object.__setattr__(self, "var", var)
        object.__setattr__(self, "weight_scale", check_real(self.weight_scale, "weight_scale"))
        object.__setattr__(self, "shift", check_real(self.shift, "shift"))
        if self.kind in ("do", "hard") and (self.mean is None or self.var is None):
            raise ValueError(
                f"a {self.kind!r} intervention needs both mean and var, got "
                f"mean={self.mean}, var={self.var}"
            )
        if self.kind != "soft" and self.weight_scale != 1.0:
            raise ValueError(
                f"weight_scale applies to 'soft' interventions only, got {self.weight_scale:g} "
                f"for kind {self.kind!r}"
            )
        if self.kind != "shift" and self.shift != 0.0:
            raise ValueError(
                f"shift applies to 'shift' interventions only, got {self.shift:g} for kind "
                f"{self.kind!r}"
            )
        if self.kind == "shift" and (self.mean is not None or self.var is not None):
            raise ValueError(
                "a 'shift' intervention changes only the noise mean by `shift`; got "
                f"mean={self.mean}, var={self.var} (use a soft intervention)"
            )

    @property
    def cuts_edges(self) -> bool:
        """Whether the incoming edges of the targets are removed (``do`` and ``hard``)."""
        return self.kind in ("do", "hard") or (self.kind == "soft" and self.weight_scale == 0.0)

    def apply(
        self, weights: np.ndarray, noise_mean: np.ndarray, noise_var: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return intervened copies of ``(weights, noise_mean, noise_var)``; inputs are not changed.

        Parameters
        ----------
        weights : ndarray of shape (p, p)
        noise_mean, noise_var : ndarray of shape (p,)

        Raises
        ------
        ValueError
            If a target is outside ``0..p-1``.
        """
        p = weights.shape[0]
        idx = np.array(sorted(check_node_set(self.targets, p, "intervention targets")), dtype=int)
        w, mu, s2 = weights.copy(), noise_mean.copy(), noise_var.copy()
        if self.kind in ("do", "hard"):
            w[:, idx] = 0.0
        elif self.kind == "soft":
            w[:, idx] *= self.weight_scale
        if self.kind == "shift":
            mu[idx] += self.shift
        elif self.mean is not None:
            mu[idx] = self.mean
        if self.var is not None:
            s2[idx] = self.var
        return w, mu, s2

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable description (targets as a sorted list)."""
        return {
            "targets": sorted(self.targets),
            "kind": self.kind,
            "mean": self.mean,
            "var": self.var,
            "weight_scale": self.weight_scale,
            "shift": self.shift,
        }


def _check_targets(targets: Iterable[int] | int) -> frozenset[int]:
    try:
        out = check_node_set(targets, _MAX_NODE, "targets")
    except ValueError:
        # the only possible ValueError here is a negative index; say so without the huge bound
        raise ValueError(f"targets must be non-negative node indices, got {targets!r}") from None
    if not out:
        raise ValueError("targets must name at least one node, got an empty set")
    return out


def do_intervention(
    targets: Iterable[int] | int, value: float = 1.0, var: float = DO_VARIANCE
) -> Intervention:
    """Perfect near-deterministic intervention: cut incoming edges, ``e_j ~ N(value, var)``.

    Parameters
    ----------
    targets : int or iterable of int
        Intervened nodes.
    value : float, default 1.0
        Value the targets are (almost) fixed to.
    var : float, default 1e-9
        Residual noise variance (the reference code uses 1e-9), ``> 0``.

    Returns
    -------
    Intervention
    """
    return Intervention(_check_targets(targets), "do", mean=value, var=var)


def hard_intervention(targets: Iterable[int] | int, mean: float, var: float) -> Intervention:
    """Stochastic perfect intervention: cut incoming edges, ``e_j ~ N(mean, var)`` with ``var > 0``."""
    return Intervention(_check_targets(targets), "hard", mean=mean, var=var)


def soft_intervention(
    targets: Iterable[int] | int,
    weight_scale: float = 1.0,
    mean: float | None = None,
    var: float | None = None,
) -> Intervention:
    """Soft intervention: keep the parents, scale incoming weights, optionally reset noise moments.

    Parameters
    ----------
    targets : int or iterable of int
    weight_scale : float, default 1.0
        ``W[:, j] *= weight_scale`` for each target ``j`` (0 cuts the edges).
    mean, var : float or None
        New noise mean / variance (``> 0``) of the targets; ``None`` keeps the SEM's value.
    """
    return Intervention(
        _check_targets(targets), "soft", mean=mean, var=var, weight_scale=weight_scale
    )


def shift_intervention(targets: Iterable[int] | int, shift: float) -> Intervention:
    """Mean shift: add ``shift`` to the noise mean of every target; nothing else changes."""
    return Intervention(_check_targets(targets), "shift", shift=shift)


def paper_interventions(
    sem: LinearGaussianSEM,
    targets: Literal["all", "half"] | Sequence[Iterable[int] | int] = "all",
    kind: InterventionKind = "do",
    mean: float = 1.0,
    var: float | None = None,
    *,
    weight_scale: float = 0.5,
    random_state: int | np.random.Generator | None = None,
) -> list[Intervention]:
    """Intervention families of the paper's experiments (and generalisations).

    Parameters
    ----------
    sem : LinearGaussianSEM
        Supplies the number of nodes ``p``.
    targets : "all", "half" or sequence of target sets, default "all"
        ``"all"``: one single-node intervention per node, in node order (``K = p + 1`` components
        with the observational one). ``"half"``: ``floor(p / 2)`` distinct nodes drawn uniformly
        without replacement, sorted. Otherwise one intervention per listed target set (an int or an
        iterable of ints; multi-node sets allowed).
    kind : {"do", "hard", "soft", "shift"}, default "do"
        ``do``: ``value = mean``, ``var`` defaults to 1e-9. ``hard``: ``mean``, ``var`` defaults to
        1.0. ``shift``: ``shift = mean`` (``var`` must be None). ``soft``: incoming weights scaled by
        ``weight_scale``, noise mean set to ``mean``, noise variance set to ``var`` (None keeps it).
    mean : float, default 1.0
    var : float or None
    weight_scale : float, default 0.5
        Used by ``kind="soft"`` only.
    random_state : int, Generator or None
        Used by ``targets="half"`` only.

    Returns
    -------
    list of Intervention

    Raises
    ------
    ValueError
        For an unknown ``targets`` string or ``kind``, an empty or out-of-range target set, or
        ``var`` given with ``kind="shift"``.
    """
    rng = check_random_state(random_state)
    p = sem.n_nodes
    if isinstance(targets, str):
        if targets == "all":
            sets = [frozenset({j}) for j in range(p)]
        elif targets == "half":
            chosen = np.sort(rng.choice(p, size=p // 2, replace=False))
            sets = [frozenset({int(j)}) for j in chosen]
        else:
            raise ValueError(
                f"targets must be 'all', 'half' or a list of target sets, got {targets!r}"
            )
    else:
        sets = []
        for i, t in enumerate(targets):
            s = check_node_set(t, p, f"targets[{i}]")
            if not s:
                raise ValueError(f"targets[{i}] must name at least one node, got an empty set")
            sets.append(s)
    if kind == "do":
        v = DO_VARIANCE if var is None else var
        return [do_intervention(s, value=mean, var=v) for s in sets]
    if kind == "hard":
        v = 1.0 if var is None else var
        return [hard_intervention(s, mean=mean, var=v) for s in sets]
    if kind == "soft":
        return [soft_intervention(s, weight_scale=weight_scale, mean=mean, var=var) for s in sets]
    if kind == "shift":
        if var is not None:
            raise ValueError(f"var must be None for kind='shift' (only the mean moves), got {var}")
        return [shift_intervention(s, shift=mean) for s in sets]
    raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
