#!/usr/bin/env python
"""Make small input files for run_reference.py from a linear-Gaussian SEM (numpy only).

    python make_data.py --graph chain --p 4 --targets 0 2 --rows 2000 --prefix /tmp/chain4
    python make_data.py --graph complete --p 6 --targets all --rows 100000 --prefix /tmp/full6

writes PREFIX_labelled.npz (setting_0 = observational, setting_k = do(targets[k-1]); base = 0)
and PREFIX_mixture.npz (X = the shuffled union, obs = the observational rows, true_means /
true_covs / true_obs_index = population parameters of each component) plus PREFIX_truth.json.
SEM: X_j = sum_i W[i, j] X_i + e_j, e ~ N(0, 1); do(j): X_j ~ N(value, 1e-9).
Weights are +-U[0.5, 1] (the Figure 1 protocol).
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def make_weights(graph, p, rng):
    w = np.zeros((p, p))
    for i in range(p):
        for j in range(i + 1, p):
            if graph == "complete" or (graph == "chain" and j == i + 1):
                w[i, j] = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0)
    return w


def component(w, target, value):
    """Population mean / covariance of the SEM, optionally with do(target) ~ N(value, 1e-9)."""
    p = w.shape[0]
    w = w.copy()
    mu_e, s2 = np.zeros(p), np.ones(p)
    if target is not None:
        w[:, target] = 0.0
        mu_e[target], s2[target] = value, 1e-9
    b = np.linalg.inv(np.eye(p) - w.T)
    return w, mu_e, s2, b @ mu_e, b @ np.diag(s2) @ b.T


def sample(w, mu_e, s2, n, rng):
    p = w.shape[0]
    x = np.zeros((n, p))
    for j in range(p):  # nodes are in topological order
        x[:, j] = x @ w[:, j] + mu_e[j] + np.sqrt(s2[j]) * rng.standard_normal(n)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--graph", choices=["chain", "complete"], default="chain")
    ap.add_argument("--p", type=int, default=4)
    ap.add_argument("--targets", nargs="+", default=["0", "2"], help="node ids or 'all'")
    ap.add_argument("--rows", type=int, default=2000, help="rows per component")
    ap.add_argument("--value", type=float, default=1.0, help="do() value")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prefix", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    targets = list(range(a.p)) if a.targets == ["all"] else [int(t) for t in a.targets]

    w0 = make_weights(a.graph, a.p, rng)
    comps = [component(w0, None, a.value)] + [component(w0, t, a.value) for t in targets]
    data = [sample(w, mu_e, s2, a.rows, rng) for w, mu_e, s2, _, _ in comps]

    np.savez(
        f"{a.prefix}_labelled.npz",
        base=np.int64(0),
        **{f"setting_{k}": x for k, x in enumerate(data)},
    )
    x_all = np.concatenate(data)
    x_all = x_all[rng.permutation(len(x_all))]
    np.savez(
        f"{a.prefix}_mixture.npz",
        X=x_all,
        obs=data[0],
        obs_mean=comps[0][3],
        obs_cov=comps[0][4],
        true_means=np.array([c[3] for c in comps]),
        true_covs=np.array([c[4] for c in comps]),
        true_obs_index=np.int64(0),
    )
    truth = {
        "adjacency": (w0 != 0).astype(int).tolist(),
        "weights": w0.tolist(),
        "targets": [[], *[[t] for t in targets]],
        "rows_per_component": a.rows,
    }
    with open(f"{a.prefix}_truth.json", "w") as fh:
        json.dump(truth, fh, indent=1)
    print(f"wrote {a.prefix}_labelled.npz, {a.prefix}_mixture.npz, {a.prefix}_truth.json")


if __name__ == "__main__":
    main()
