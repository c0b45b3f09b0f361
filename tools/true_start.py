"""Is a wrong K the search's failure or the criterion's? One case of the interventions grid (#11).

Simulates one case as ``benchmarks/interventions.py`` does, fits it with ``MixtureUTIGSP(
random_state=seed)`` and compares the fit's shared-mechanism BIC with the BIC of EM started from
the true labels and the true targets, on the same standardised rows and on the fitted DAG (and
on the true DAG). A true start with the lower BIC means the search stopped in a worse optimum
than the model's own (a search failure); a true start with the higher one means the criterion
prefers the fit (a larger N, or another criterion, is needed)::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/true_start.py dirichlet 8 sparse 32768 2
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import interventions as iv  # noqa: E402
from causalmix import MixtureUTIGSP  # noqa: E402
from causalmix.mixture.mechanisms import fit_mechanism_mixture  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=iv.KINDS)
    ap.add_argument("p", type=int)
    ap.add_argument("graph", choices=("sparse", "dense"))
    ap.add_argument("n", type=int)
    ap.add_argument("seed", type=int)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    s = iv.simulate(iv.Cell(args.kind, args.p, args.graph, args.n), args.seed)
    est = MixtureUTIGSP(random_state=args.seed).fit(s.X, diagnose=False)
    fit = est.mechanisms_
    if fit is None:
        print("the fit was not refined (separated components): no shared-mechanism BIC")
        return
    print(f"true targets   {iv._targets_str(s.targets)}")
    print(
        f"fit            K = {fit.n_components}, {iv._targets_str(fit.targets)}, BIC {fit.bic:.1f}"
    )
    K = len(s.targets)
    resp = 0.98 * np.eye(K)[s.labels] + 0.02 / K
    groups = np.zeros((args.p, K), dtype=np.int64)
    for c, t in enumerate(s.targets):
        groups[sorted(t), c] = c + 1
    Xs = est.scaler_.transform(s.X)
    for name, dag in (("fitted DAG", fit.dag), ("true DAG", s.sem.weights != 0)):
        true = fit_mechanism_mixture(
            Xs, dag, resp, groups=groups, select_k=False, search_rows=None, max_rounds=1
        )
        print(
            f"true start, {name:10s} K = {K}, {iv._targets_str(true.targets)}, "
            f"BIC {true.bic:.1f} ({true.bic - fit.bic:+.1f})"
        )


if __name__ == "__main__":
    main()
