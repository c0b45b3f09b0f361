"""The EM iteration of the free-covariance mixture, in memory (:func:`run_em`) or block-wise.

:func:`iterate_em` is scikit-learn's loop and stopping rule around any E-/M-step pair: the
in-memory steps of :mod:`causalmix.mixture._gaussian` (:func:`run_em`) and the block-wise passes
of :mod:`causalmix.mixture._chunked` share it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from causalmix.mixture._gaussian import (
    EM_ROUND_HOOK,
    Data,
    EMResult,
    Params,
    as_data,
    e_step_t,
    params_from_resp_t,
)

__all__ = ["iterate_em", "run_em"]


def iterate_em(
    step: Callable[[Params], tuple[float, Params]],
    log_likelihood: Callable[[Params], float],
    params: Params,
    *,
    tol: float,
    max_iter: int,
) -> EMResult:
    """EM rounds from ``params`` with scikit-learn's convergence rule (in memory or block-wise).

    ``step(theta)`` is one round, ``(l(theta), theta')``: the E-step's mean log-likelihood and the
    M-step's parameters. Iteration ``n`` evaluates ``l(theta_{n-1})`` and computes ``theta_n``; it
    stops when ``|l(theta_{n-1}) - l(theta_{n-2})| < tol``. ``log_likelihood`` gives ``l`` of the
    returned ``theta``. Calls :data:`EM_ROUND_HOOK` before every round while it is set.
    """
    history = []
    previous = -np.inf
    converged = False
    hook = EM_ROUND_HOOK.get()
    for _ in range(max_iter):
        if hook is not None:
            hook()
        ll, params = step(params)
        history.append(ll)
        if abs(ll - previous) < tol:
            converged = True
            break
        previous = ll
    return EMResult(params, log_likelihood(params), len(history), converged, np.asarray(history))


def run_em(
    X: np.ndarray | Data, params: Params, *, tol: float, reg_covar: float, max_iter: int
) -> EMResult:
    """EM iterations from ``params`` on centred data (:func:`iterate_em`).

    Pass a :class:`Data` to reuse the row features across calls.
    """
    data = as_data(X)

    def step(theta: Params) -> tuple[float, Params]:
        ll, _, resp_t = e_step_t(data, theta)
        return ll, params_from_resp_t(data, resp_t, reg_covar)

    def final(theta: Params) -> float:
        return e_step_t(data, theta)[0]

    return iterate_em(step, final, params, tol=tol, max_iter=max_iter)
