"""Free-covariance mixtures for k = 1, 2, ...: the fits behind every criterion of model selection.

- :func:`paper_sweep`: independent k-means-started fits (the drop-ratio rule's, as the paper);
- :func:`grown_sweep`: each k grown from the k - 1 fit (:mod:`causalmix.mixture.split`) on a
  subsample until BIC or ICL stops improving, then refitted on all rows around the subsample's
  choice (BIC, ICL, and the free family of sBIC).

See :mod:`causalmix.mixture.selection` for the criteria and why the fits are grown.
"""

from __future__ import annotations

import numpy as np

from causalmix.mixture._em_loop import run_em
from causalmix.mixture._fit import initial_params
from causalmix.mixture._gaussian import Data, EMResult, e_step, params_from_resp
from causalmix.mixture._progress import report_stage
from causalmix.mixture.split import grow, split_many

__all__ = ["criterion_value", "grown_sweep", "paper_sweep"]


def paper_sweep(
    Xc: np.ndarray, max_components: int, rng: np.random.Generator, settings: dict
) -> dict[int, EMResult]:
    """Independent fits for k = 1..K_max from k-means starts sharing one seed (the reference's)."""
    seed = int(rng.integers(2**31 - 1))
    zero = np.zeros(Xc.shape[1])
    fits = {}
    for k in range(1, max_components + 1):
        report_stage(k, "(k-means start, all rows)")
        start = initial_params(
            Xc, k, "kmeans", zero, settings["reg_covar"], np.random.default_rng(seed)
        )
        fits[k] = run_em(Xc, start, **settings)
    return fits


def grown_sweep(
    data: Data,
    max_components: int,
    criterion: str,
    patience: int,
    sweep_size: int | None,
    rng: np.random.Generator,
    settings: dict,
    batch: bool = False,
) -> tuple[dict[int, EMResult], dict[int, float], dict[int, float], int]:
    """Subsample sweep, then full-data refits around its choice.

    Returns the full-data fits and their criterion, the sweep's criterion and its row count.
    """
    n = data.n
    subsample = sweep_size is not None and sweep_size < n
    sweep_data = Data(data.X[rng.choice(n, size=sweep_size, replace=False)]) if subsample else data
    sweep_fits, sweep_scores = _grow_until_worse(
        sweep_data, max_components, criterion, patience, rng, settings, batch
    )
    if not subsample:
        return sweep_fits, sweep_scores, sweep_scores, n
    start_k = min(sweep_scores, key=sweep_scores.get)
    fits: dict[int, EMResult] = {}
    scores: dict[int, float] = {}
    # downwards: warm refits of the subsample fits while the full-data criterion improves. With
    # batch splits (wide data) only the choice is refitted: a split that pays on the subsample
    # pays on more rows (BIC's price per row, d log(n) / 2n, falls with n) and its price, over
    # 600 nats at p >= 15, dwarfs the sampling noise of its gain (saves a full-data EM run)
    previous = None
    lower = [start_k] if batch else [k for k in sweep_fits if k <= start_k]
    for k in sorted(lower, reverse=True):
        report_stage(k, f"(refit on all {n} rows)")
        fits[k] = run_em(data, sweep_fits[k].params, **settings)
        scores[k] = criterion_value(data, fits[k], criterion)
        if previous is not None and scores[k] >= scores[previous]:
            break
        previous = k
    # upwards: grow on all rows from the best full-data fit (a warm refit of the subsample's
    # larger fit can stall in a poor optimum, e.g. when the subsample missed a small component
    # and split a large one instead); stop at the first k that does not improve
    best = min(scores, key=scores.get)
    for k in range(best + 1, max_components + 1):
        report_stage(k, f"(grown on all {n} rows)")
        # one candidate split: the sweep chose k - 1 on the subsample, and this grow checks
        # that choice on all rows (three candidates cost ~3x the short EM runs on all rows)
        grown = grow(data, fits[k - 1], rng=rng, n_candidates=1, **settings)
        if k not in fits or grown.log_likelihood > fits[k].log_likelihood:
            fits[k] = grown
            scores[k] = criterion_value(data, grown, criterion)
        if scores[k] >= scores[k - 1]:
            break
    return fits, scores, sweep_scores, sweep_data.n


def _grow_until_worse(
    data: Data,
    max_components: int,
    criterion: str,
    patience: int,
    rng: np.random.Generator,
    settings: dict,
    batch: bool = False,
) -> tuple[dict[int, EMResult], dict[int, float]]:
    """Grow fits from k = 1 until the criterion has not improved for ``patience`` steps.

    With ``batch``, every step first tries :func:`split.split_many` (all components whose 1-D
    split pays for a component at once) and keeps it when it improves the criterion and stays
    within ``max_components``; otherwise it grows by one. The fitted k then have gaps.
    """
    fits: dict[int, EMResult] = {}
    scores: dict[int, float] = {}
    X = data.X
    n, p = X.shape
    # a quarter of BIC's price of one free-covariance component (nats): a 1-D gain is a lower
    # bound of the full one (at p = 50 the axis gains of do-splits measured 0.1-0.6 of the
    # full gain, those of non-targets below 0.05 of the price); the criterion decides below
    threshold = 0.125 * (1 + p + p * (p + 1) // 2) * np.log(n)
    start = params_from_resp(data, np.ones((X.shape[0], 1)), settings["reg_covar"])
    report_stage(1, f"(sweep on {data.n} rows)")
    current = run_em(data, start, **settings)
    k = 1
    while k <= max_components:
        fits[k] = current
        scores[k] = criterion_value(data, current, criterion)
        best_k = min(scores, key=scores.get)
        if k - best_k >= patience or k == max_components:
            break
        grown = None
        if batch and k == best_k:
            grown = split_many(
                data,
                current,
                threshold=threshold,
                rng=rng,
                n_proposal_rows=2048,
                rank_iter=15,
                **settings,
            )
            if grown is not None:
                new_k = grown.params.weights.size
                if new_k > max_components or criterion_value(data, grown, criterion) >= scores[k]:
                    grown = None
        if grown is None:
            # with batch splits the clear splits are made; a single grow mostly confirms that
            # none is left, so one candidate split instead of three (a third of the EM runs)
            report_stage(k + 1, f"(sweep on {data.n} rows)")
            grown = grow(data, current, rng=rng, n_candidates=1 if batch else 3, **settings)
        current = grown
        k = current.params.weights.size
    return fits, scores


def criterion_value(X: np.ndarray | Data, result: EMResult, criterion: str) -> float:
    n, p = (X.X if isinstance(X, Data) else X).shape
    k = result.params.weights.shape[0]
    n_params = (k - 1) + k * p + k * p * (p + 1) // 2
    bic = -2.0 * n * result.log_likelihood + n_params * np.log(n)
    if criterion == "bic":
        return float(bic)
    _, log_resp = e_step(X, result.params)
    entropy = -np.sum(np.exp(log_resp) * log_resp)
    return float(bic + 2.0 * entropy)
