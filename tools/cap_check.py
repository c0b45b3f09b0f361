"""The ``components_at_cap`` check where the cap is the truth, and on Sachs where it is not.

Two workloads; each fits ``MixtureUTIGSP(random_state=seed)`` without diagnostics, then runs the
check alone on the fit and prints its value (the BIC gain of one more component), whether it is
flagged, and the check's CPU seconds:

- ``simulated``: the paper's protocol with every node intervened (K = p + 1 = the cap): p = 8 at
  N = 2^14, 2^15, 2^16, p = 6 and p = 4 at 2^15 (``benchmarks/_common.simulate``); a flag there
  is a false alarm;
- ``sachs``: the pooled Sachs rows (experiments 1-7), raw and ``log``; the cap binds on the raw
  concentrations (the BIC keeps falling beyond p + 1 components) and not on the log ones.

Run it with each library on ``PYTHONPATH`` to compare them (``docs/design.md`` §7)::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/cap_check.py simulated [--seeds 6]
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/cap_check.py sachs
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

from causalmix import MixtureUTIGSP
from causalmix import diagnostics as D

ROOT = Path(__file__).resolve().parents[1]
CELLS = ((8, 14), (8, 15), (8, 16), (6, 15), (4, 15))


def _check(X: np.ndarray, seed: int, label: str) -> tuple[bool, float]:
    est = MixtureUTIGSP(random_state=seed).fit(X, diagnose=False)
    Z = est.scaler_.transform(X)
    t0 = time.process_time()
    check = D._components_at_cap(est, Z, np.random.default_rng(seed))
    cpu = time.process_time() - t0
    value = "-" if check.value is None else f"{check.value:.1f}"
    print(f"{label} K={est.n_components_} cap={est.max_components_} value={value} "
          f"flagged={check.flagged} cpu={cpu:.3f}", flush=True)  # fmt: skip
    return bool(check.flagged), cpu


def simulated(n_seeds: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import _common as C

    flags, cpu = [], []
    for p, log2n in CELLS:
        for seed in range(n_seeds):
            X = C.simulate(C.Cell(p=p, targets="all", n=2**log2n), seed).X
            f, c = _check(X, seed, f"p={p} all N=2^{log2n} seed={seed}")
            flags.append(f)
            cpu.append(c)
    print(f"flagged {sum(flags)} of {len(flags)}; check CPU {np.mean(cpu):.3f} s per fit")


def sachs() -> None:
    from causalmix.datasets import load_sachs
    from causalmix.transforms import apply_transform

    data = load_sachs(ROOT.parent / "shared" / "data" / "sachs.csv")
    for transform in ("none", "log"):
        _check(apply_transform(data.X.to_numpy(), transform), 0, f"sachs transform={transform}")


def main(argv: list[str]) -> None:
    warnings.simplefilter("ignore")
    if argv[:1] == ["simulated"]:
        seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else 6
        simulated(seeds)
    elif argv[:1] == ["sachs"]:
        sachs()
    else:
        sys.exit("usage: tools/cap_check.py simulated [--seeds N] | sachs")


if __name__ == "__main__":
    main(sys.argv[1:])
