"""Checks of a fitted :class:`~causalmix.MixtureUTIGSP` that say when not to trust the result.

:meth:`MixtureUTIGSP.fit <causalmix.MixtureUTIGSP.fit>` ends with :func:`run_diagnostics`: every
check below becomes a :class:`Check` in ``est.diagnostics_`` (and in ``result.json``), and every
flagged one is issued once as a :class:`CausalmixWarning` whose message says what to do. The
thresholds are the module constants (documented with their reasons in ``docs/user_guide.md``,
"Diagnostics and what to do about them").

=========================  ===================================================================
check                      flagged when
=========================  ===================================================================
``components_at_cap``      K̂ equals the largest number of components tried (``max_components_``)
                           and the criterion still improves beyond it: a (K̂ + 1)-mixture grown
                           from the fit has a lower BIC on at most ``GAIN_ROWS`` random rows
                           (drop ratio: the ratio at K̂ exceeds the cutoff)
``observational_weight``   the observational component holds less than
                           :data:`MIN_OBSERVATIONAL_WEIGHT` (5 %) of the rows and less than
                           half of an equal share (``0.5 / K``)
``observational_margin``   the observational component was inferred and ``observational_margin_``
                           is at most :data:`MAX_WEAK_MARGIN` (method ``"auto"``: targets) or
                           :data:`MAX_WEAK_BIC_GAP` (``"likelihood"``: a BIC gap)
``observational_           the observational component's covariance is singular (smallest /
covariance``               largest eigenvalue <= 1e-12): its CI tests used a pseudo-inverse
``target_fraction``        more than :data:`MAX_TARGET_FRACTION` (half) of the
                           (interventional component, node) pairs are targets
``component_size``         some component has fewer than :data:`MIN_ROWS_PER_NODE` · p effective
                           rows (Σ responsibilities)
``em_converged``           the retained EM run stopped at ``max_iter`` before its tolerance
``search_agreement``       with ``n_runs >= 2``, only one UT-IGSP restart reached the best score
``gaussianity``            in some component with at least 10 · p effective rows, a variable's
                           responsibility-weighted skewness exceeds :data:`MAX_ABS_SKEWNESS`
                           or its excess kurtosis :data:`MAX_EXCESS_KURTOSIS` in absolute value
``stability_k``            only with stability refits (``n_resamples > 0``, listed then): no K
                           is chosen by more than :data:`MIN_K_AGREEMENT` (half) of the refits
=========================  ===================================================================
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from causalmix._component_shape import component_shape
from causalmix._diagnostic_check import (
    MAX_ABS_SKEWNESS,
    MAX_EXCESS_KURTOSIS,
    MAX_TARGET_FRACTION,
    MAX_WEAK_BIC_GAP,
    MAX_WEAK_MARGIN,
    MIN_K_AGREEMENT,
    MIN_OBSERVATIONAL_WEIGHT,
    MIN_ROWS_PER_NODE,
    NEAR_CONSTANT_VARIANCE,
    Check,
)

__all__ = [
    "GAIN_CANDIDATES",
    "GAIN_ROWS",
    "MAX_ABS_SKEWNESS",
    "MAX_EXCESS_KURTOSIS",
    "MAX_TARGET_FRACTION",
    "MAX_WEAK_BIC_GAP",
    "MAX_WEAK_MARGIN",
    "MIN_K_AGREEMENT",
    "MIN_OBSERVATIONAL_WEIGHT",
    "MIN_ROWS_PER_NODE",
    "CausalmixWarning",
    "Check",
    "compute_checks",
    "k_settled",
    "run_diagnostics",
]

# the (K + 1)-mixture of components_at_cap is grown on at most this many random rows, to the
# selection sweep's tolerance: on all rows (tol 1e-4) it was the largest part of the diagnostics
# on the paper's protocol (K = p + 1 is the cap there); CPU per fit at p = 8, all, N = 2^16
# (tools/paper_cell_cpu.py): 1.05-1.10 s on 2^14 rows to 1e-4, 0.84 s like this. A component
# beyond a cap set too low shows on far fewer rows (tested on 1,500)
GAIN_ROWS = 2**12
# splits the components_at_cap check tries when it grows one more component (one was too weak a
# search on the raw Sachs concentrations, where the cap binds)
GAIN_CANDIDATES = 3


class CausalmixWarning(UserWarning):
    """A fitted result that should not be trusted as it is; the message says what to do.

    Issued by :meth:`MixtureUTIGSP.fit <causalmix.MixtureUTIGSP.fit>`, once per flagged check of
    :mod:`causalmix.diagnostics`. Filter it like any warning, e.g.
    ``warnings.simplefilter("error", causalmix.CausalmixWarning)`` to stop on doubtful results.
    """


def run_diagnostics(
    estimator: Any,
    Z: np.ndarray,
    rng: np.random.Generator | None = None,
    responsibilities: np.ndarray | None = None,
) -> tuple[Check, ...]:
    """:func:`compute_checks`, then one :class:`CausalmixWarning` per flagged check."""
    checks = compute_checks(estimator, Z, rng, responsibilities)
    for check in checks:
        if check.flagged:
            warnings.warn(f"{check.name}: {check.message}", CausalmixWarning, stacklevel=3)
    return checks


def compute_checks(
    estimator: Any,
    Z: np.ndarray,
    rng: np.random.Generator | None = None,
    responsibilities: np.ndarray | None = None,
) -> tuple[Check, ...]:
    """Every check of the module table on a fitted estimator.

    Parameters
    ----------
    estimator : MixtureUTIGSP
        Fitted (all attributes but ``diagnostics_`` set).
    Z : ndarray of shape (N, p)
        The rows the mixture was fitted to (standardised; skewness and kurtosis are unit-free).
    rng : numpy.random.Generator, optional
        Used by the one extra fit of ``components_at_cap`` (default: seeded with 0).
    responsibilities : ndarray of shape (N, K), optional
        The reported components' posteriors on ``Z``, when the caller has them (the fit does:
        recomputing them was a third of the diagnostics' time at p = 8, N = 2^16); default:
        the reported model's ``predict_proba(Z)``.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    stab = getattr(estimator, "stability_", None)
    return (
        _components_at_cap(estimator, Z, rng),
        _observational_weight(estimator),
        _observational_margin(estimator),
        _observational_covariance(estimator),
        _target_fraction(estimator),
        _component_size(estimator),
        _em_converged(estimator),
        _search_agreement(estimator),
        _gaussianity(estimator, Z, responsibilities),
        *(() if stab is None else (_stability_k(stab),)),
    )


# ----------------------------------------------------------------------------------------------
# the checks


def _components_at_cap(est: Any, Z: np.ndarray, rng: np.random.Generator) -> Check:
    name, K, cap = "components_at_cap", int(est.n_components_), est.max_components_
    curve = est.selection_curve_
    if cap is None or K < cap:
        why = "fixed n_components" if cap is None else f"K = {K} < max_components = {cap}"
        return Check(name, False, None, None, f"not at the cap ({why})")
    if est.selection_criterion_ == "drop_ratio":
        gain, threshold = float(curve.get(K, np.nan)), float(est.cutoff)
        if gain <= threshold:  # NaN (K = 1) counts as improving
            below = f"K = {K} = max_components, but the drop ratio there is below the cutoff"
            return Check(name, False, gain, threshold, below)
        what = f"its drop ratio at K is {gain:.4g} > cutoff {threshold:g}"
    else:
        # the curve's slope at the cap says nothing when the cap is the truth (p + 1 components
        # of the paper's protocol improve the criterion by thousands): ask one more component
        gain, threshold = _gain_beyond(est, Z, rng), 0.0
        if not gain > threshold:
            worse = f"a fit with K + 1 components has no better BIC (by {-gain:.4g})"
            return Check(name, False, gain, threshold, f"K = {K} = max_components, and {worse}")
        what = f"a fit with K + 1 = {K + 1} components has a BIC lower by {gain:.4g}"
    advice = (
        f"K = {K} is the largest number of components tried (max_components) and {what}: the "
        "data may hold more distributions than allowed, or components that are not Gaussian are "
        "being split. Try a transform (--transform rank or log), or raise max_components "
        "(--max-components) to see where the criterion stops improving; until then read the "
        "components and targets with care"
    )
    return Check(name, True, gain, threshold, advice)


def _gain_beyond(est: Any, Z: np.ndarray, rng: np.random.Generator) -> float:
    """BIC of the best K-mixture minus that of the best (K + 1)-mixture, on the same rows.

    On at most ``GAIN_ROWS`` random rows. Both mixtures are fitted there by EM: the K-mixture
    from the fit's parameters, the (K + 1)-mixture grown from that refit (``GAIN_CANDIDATES``
    splits tried). Evaluating the all-row fit on the rows instead handed the grown mixture its
    own EM's in-sample advantage, which alone exceeded a component's price (``docs/design.md``
    §7).
    """
    from causalmix.mixture._em_loop import run_em
    from causalmix.mixture._fit import centred_params
    from causalmix.mixture._gaussian import as_data
    from causalmix.mixture.split import grow

    mix = est.mixture_
    n, p = Z.shape
    if mix.n_components + 1 > n // (p + 2):
        return float("nan")
    if n > GAIN_ROWS:  # both criteria on the same random rows
        Z = Z[np.sort(rng.choice(n, size=GAIN_ROWS, replace=False))]
        n = GAIN_ROWS
    center = Z.mean(axis=0)
    data = as_data(Z - center)  # the rows' features, once for both fits
    settings = {"tol": 1e-3, "reg_covar": mix.reg_covar, "max_iter": 500}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            current = run_em(data, centred_params(mix, center), **settings)
            bigger = grow(data, current, rng=rng, n_candidates=GAIN_CANDIDATES, **settings)
        except ValueError:  # a split that is not positive definite: no evidence either way
            return float("nan")
    k = mix.n_components
    d = (k - 1) + k * p + k * p * (p + 1) // 2
    return float(
        (-2.0 * n * current.log_likelihood + d * np.log(n))
        - (-2.0 * n * bigger.log_likelihood + (d + 1 + p + p * (p + 1) // 2) * np.log(n))
    )


def _observational_weight(est: Any) -> Check:
    name, K = "observational_weight", int(est.n_components_)
    if K == 1:
        return Check(name, False, None, None, "one component: all rows are observational")
    w = float(est.weights_[est.observational_component_])
    # with many interventions (p = 100: 51 components) every component holds about 1 / K of
    # the rows, the observational one too: small is judged against an equal share as well
    low = min(MIN_OBSERVATIONAL_WEIGHT, 0.5 / K)
    msg = (
        f"the observational component {est.observational_component_} holds {100 * w:.1f} % of "
        "the rows"
    )
    if w >= low:
        return Check(name, False, w, low, msg)
    advice = (
        msg + f" (< {100 * low:.3g} %): a component that small is rarely the "
        "unperturbed state, and every target is read relative to it. If some rows are known to "
        "be observational, pass them (observational_rows=, --observational-label), or name the "
        "component (observational=, --observational)"
    )
    return Check(name, True, w, low, advice)


def _observational_margin(est: Any) -> Check:
    name, margin, method = (
        "observational_margin",
        est.observational_margin_,
        est.observational_method_,
    )
    limit = {"auto": MAX_WEAK_MARGIN, "likelihood": MAX_WEAK_BIC_GAP}.get(method)
    if limit is None or margin is None:
        not_compared = f"not inferred by comparing candidates (method {method!r})"
        return Check(name, False, None, limit, not_compared)
    unit = "targets" if method == "auto" else "BIC"
    msg = (
        f"the observational component {est.observational_component_} was chosen by a margin of "
        f"{margin:g} ({unit}) over the runner-up"
    )
    if margin > limit:
        return Check(name, False, float(margin), float(limit), msg)
    advice = (
        msg + f" (<= {limit:g}): another component explains the data almost as well, "
        "and the targets and the graph depend on the choice. Compare observational_scores_ "
        "(result.json: observational.candidates); if some rows are known to be observational, "
        "pass them (--observational-label) or name the component (--observational)"
    )
    return Check(name, True, float(margin), float(limit), advice)


def _observational_covariance(est: Any) -> Check:
    name, b = "observational_covariance", int(est.observational_component_)
    stats, p = est.statistics_, len(est.node_names_)
    n = float(stats.n[b])
    cov = stats.scatter()[b] / (n - 1.0) if n > 1 else np.zeros((p, p))
    eig = np.linalg.eigvalsh(cov)
    # relative to the largest eigenvalue: 1e-12 is far above rounding (1e-16) and far below
    # any variance a measured variable has within a component
    ratio = float(eig[0] / eig[-1]) if eig[-1] > 0 else 0.0
    msg = f"the observational component {b} has {n:.1f} effective rows for p = {p} variables"
    if ratio > 1e-12:
        return Check(name, False, ratio, 1e-12, msg + "; its covariance is positive definite")
    advice = (
        msg + " and a singular covariance (too few rows, or a variable constant within it, as "
        "after a do-intervention): the CI tests that give the graph used a pseudo-inverse and "
        "the graph is unreliable. Use fewer components (--max-components), name the "
        "observational component (--observational), or give rows known to be observational "
        "(--observational-label)"
    )
    return Check(name, True, ratio, 1e-12, advice)


def _target_fraction(est: Any) -> Check:
    name, K, p = "target_fraction", int(est.n_components_), len(est.node_names_)
    if K == 1:
        return Check(name, False, None, MAX_TARGET_FRACTION, "one component: no targets")
    n_targets = sum(len(t) for k, t in enumerate(est.targets_) if k != est.observational_component_)
    pairs = (K - 1) * p
    frac = n_targets / pairs
    msg = f"{n_targets} of {pairs} (interventional component, node) pairs are targets"
    if frac <= MAX_TARGET_FRACTION:
        return Check(name, False, frac, MAX_TARGET_FRACTION, msg)
    advice = (
        msg + f" (more than {100 * MAX_TARGET_FRACTION:g} %): the components differ from the "
        "observational one almost everywhere, which single-target interventions do not do. "
        "Likely causes: a wrong observational component, components that split non-Gaussian "
        "clusters (try --transform rank or log), or too many components (--max-components)"
        + (
            "; or interventions that are not do-interventions (hard, soft, shifts), whose "
            "overlapping components leak into each other's statistics: try "
            "refine='mechanisms' (--refine mechanisms)"
            if getattr(est, "refine", "none") == "none"
            else ""
        )
    )
    return Check(name, True, frac, MAX_TARGET_FRACTION, advice)


def _component_size(est: Any) -> Check:
    name, p = "component_size", len(est.node_names_)
    sizes = np.asarray(est.effective_sizes_, dtype=float)
    need = MIN_ROWS_PER_NODE * p
    small = [k for k in range(sizes.size) if sizes[k] < need]
    msg = f"smallest component: {sizes.min():.1f} effective rows (p = {p})"
    if not small:
        return Check(name, False, float(sizes.min()), float(need), msg)
    advice = (
        f"component(s) {small} have fewer than {MIN_ROWS_PER_NODE} · p = {need} effective rows "
        f"(smallest {sizes.min():.1f}): their covariances, CI and invariance tests rest on too "
        "few rows, and their targets are unreliable. Use fewer components (--n-components or "
        "--max-components) or more data"
    )
    return Check(name, True, float(sizes.min()), float(need), advice)


def _em_converged(est: Any) -> Check:
    name, mix = "em_converged", est.mixture_
    if mix.converged:
        converged = f"EM converged in {mix.n_iter} iterations"
        return Check(name, False, float(mix.n_iter), None, converged)
    advice = (
        f"EM of the chosen {est.n_components_}-component mixture stopped after {mix.n_iter} "
        "iterations without reaching its tolerance: the components, weights and everything "
        "built on them may still move. Refit with another random_state (--seed) and compare; "
        "if it persists, a transform (--transform rank or log) often helps EM"
    )
    return Check(name, True, float(mix.n_iter), None, advice)


def _search_agreement(est: Any) -> Check:
    name, res = "search_agreement", est.utigsp_
    if getattr(est, "refined_", False):
        # UT-IGSP's restarts only gave the refinement its starting DAG
        why = "the DAG is the shared-mechanism refinement's (an order search on its likelihood)"
        return Check(name, False, None, 2.0, f"not judged: {why}, not UT-IGSP's")
    scores = list(res.run_scores)
    best = _total(res.score) if est.select == "total" else tuple(res.score)
    keyed = [_total(s) if est.select == "total" else tuple(s) for s in scores]
    hits = sum(k == best for k in keyed)
    msg = f"{hits} of {len(scores)} UT-IGSP restarts reached the best score"
    if len(scores) < 2 or hits >= 2:
        return Check(name, False, float(hits), 2.0, msg)
    advice = (
        msg + ": the search has not settled, and more restarts may find a sparser graph. "
        "Raise n_runs (--n-runs) or depth (--depth) and compare"
    )
    return Check(name, True, float(hits), 2.0, advice)


def k_settled(k_frequencies: dict) -> bool:
    """Whether stability refits settle K: one K chosen by more than :data:`MIN_K_AGREEMENT` of
    them (``k_frequencies``: K -> fraction of the refits). The ``stability_k`` check's rule."""
    return max(k_frequencies.values()) > MIN_K_AGREEMENT


def _stability_k(stab: Any) -> Check:
    freq = stab.k_frequencies
    top = max(freq.values())
    shares = ", ".join(f"K = {k}: {f:.2f}" for k, f in freq.items())
    msg = f"the {stab.n_resamples} stability refits chose {shares}"
    if k_settled(freq):
        return Check("stability_k", False, top, MIN_K_AGREEMENT, msg)
    advice = (
        msg + ": no K in more than half of them, so the components are not resolved on half the "
        "rows, and which arrows and targets a refit finds depends on which components it has. "
        "Trust the stable adjacencies, not the arrows or targets, even at a high frequency (on "
        "simulated mean shifts with K this unsettled, some arrows kept at 0.9 were false: "
        "docs/benchmarks.md, Stability); more rows or stronger interventions settle K"
    )
    return Check("stability_k", True, top, MIN_K_AGREEMENT, advice)


def _total(score: Any) -> int:
    return int(score[0]) + int(score[1])


def _gaussianity(est: Any, Z: np.ndarray, resp: np.ndarray | None = None) -> Check:
    name, p = "gaussianity", Z.shape[1]
    if resp is None:  # the reported components' posteriors
        model = est.mechanisms_ if getattr(est, "mechanisms_", None) is not None else est.mixture_
        resp = model.predict_proba(Z)
    skew, kurt, var, sizes = component_shape(Z, resp)
    usable = sizes >= MIN_ROWS_PER_NODE * p
    if not usable.any():
        too_small = "no component has enough rows to judge its shape"
        return Check(name, False, None, MAX_ABS_SKEWNESS, too_small)
    # a (nearly) constant variable, e.g. do-intervened, has the shape of the few rows of other
    # components the mixture could not separate from its spike: not judged
    spike = var < NEAR_CONSTANT_VARIANCE * max(float(est.reg_covar), 1e-12)
    skew, kurt = np.where(spike, np.nan, skew), np.where(spike, np.nan, kurt)
    s, k = np.abs(skew[usable]), np.abs(kurt[usable])
    if np.all(np.isnan(s)):
        return Check(name, False, None, MAX_ABS_SKEWNESS, "every variable is near-constant")
    worst_s, worst_k = float(np.nanmax(s)), float(np.nanmax(k))
    with np.errstate(invalid="ignore"):
        bad = (s > MAX_ABS_SKEWNESS) | (k > MAX_EXCESS_KURTOSIS)
    msg = f"largest |skewness| {worst_s:.2f}, largest |excess kurtosis| {worst_k:.2f} within components"
    if not bad.any():
        return Check(name, False, worst_s, MAX_ABS_SKEWNESS, msg)
    comps = np.flatnonzero(usable)
    pairs = [(int(comps[c]), est.node_names_[v]) for c, v in zip(*np.nonzero(bad), strict=True)]
    shown = ", ".join(f"{c}:{v}" for c, v in pairs[:6]) + (" ..." if len(pairs) > 6 else "")
    advice = (
        f"{msg}; {len(pairs)} (component, variable) pairs are far from Gaussian ({shown}; "
        f"limits {MAX_ABS_SKEWNESS:g} and {MAX_EXCESS_KURTOSIS:g}). The method assumes Gaussian "
        "components: skewed positive data (concentrations, counts) usually need --transform log, "
        "other shapes --transform rank"
    )
    return Check(name, True, worst_s, MAX_ABS_SKEWNESS, advice)
