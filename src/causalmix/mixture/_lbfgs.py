"""Limited-memory BFGS with a backtracking Armijo line search (for the M-step of the
interventional mixture, :mod:`causalmix.mixture._structured`).

Small and warm-startable: the curvature pairs can be kept across calls, so that the successive
M-steps of one EM run (whose objectives differ little) reuse them. Infinite objective values
(parameters outside the model) are rejected by the line search.

References
----------
.. [1] J. Nocedal and S. J. Wright. Numerical Optimization, 2nd ed., Springer 2006, Alg. 7.4-7.5.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lbfgs"]


def lbfgs(
    fun, x: np.ndarray, max_iter: int, history: tuple[list, list] | None = None, memory: int = 8
):
    """Minimise with L-BFGS and a backtracking Armijo search (infinite values are rejected).

    ``history`` (pairs of steps and gradient changes) is updated in place, so that successive
    M-steps of one EM run, whose objectives differ little, reuse the curvature estimate.
    """
    f, g = fun(x)
    if not np.isfinite(f):
        return x, f
    s_hist, y_hist = history if history is not None else ([], [])
    for _ in range(max_iter):
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            rho = 1.0 / (y @ s)
            alpha = rho * (s @ q)
            q -= alpha * y
            alphas.append((rho, alpha))
        if y_hist:
            q *= (s_hist[-1] @ y_hist[-1]) / (y_hist[-1] @ y_hist[-1])
        else:
            q *= min(1.0, 1.0 / max(np.linalg.norm(g), 1e-12))
        for (s, y), (rho, alpha) in zip(
            zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True
        ):
            q += (alpha - rho * (y @ q)) * s
        d = -q
        slope = g @ d
        if slope >= 0:
            d, slope = -g, -(g @ g)
            s_hist.clear(), y_hist.clear()
        if -slope < 1e-14:
            break
        step = 1.0
        while True:
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if np.isfinite(f_new) and f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
            if step < 1e-8:
                return x, f
        s, y = x_new - x, g_new - g
        if s @ y > 1e-12:
            s_hist.append(s), y_hist.append(y)
            if len(s_hist) > memory:
                s_hist.pop(0), y_hist.pop(0)
        converged = f - f_new < 1e-12
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x, f
