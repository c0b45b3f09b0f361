"""CPU seconds of fits that run the shared-mechanism refinement, for comparing two libraries.

Two workloads, each printing every fit's CPU time and a digest of its results (K, targets,
adjacency) so that the two libraries' outputs can be checked identical:

- ``sachs``: ``MixtureUTIGSP()`` refits on half the rows of the pooled Sachs data (``log``
  transform; a subsample per seed, as ``causalmix.stability`` draws them): K = 12 overlapping
  components, where the refinement is most of a fit;
- ``simulated``: 24 fits of ``random_sem(p, density=0.4)`` with "half" the nodes intervened
  (hard N(2, 0.5), soft weights x 0.2 and variance 3, shift +2, weak hard N(0.8, 0.5); p = 6, 8,
  10; seeds 0, 1; N = 2^14).

Run it with each library on ``PYTHONPATH``, side by side or alternately, on the same machine
(``docs/design.md`` §6 compares 092ff74 with the batched refinement)::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/refine_cpu.py sachs [--seeds 1,2,3] \
        [--profile]
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/refine_cpu.py simulated

``--profile`` prints cProfile's cumulative top of the library's functions over the fits.
"""

from __future__ import annotations

import cProfile
import hashlib
import pstats
import sys
import time
import warnings

import numpy as np

from causalmix import MixtureUTIGSP

SIMULATED = (("hard", 2.0, 0.5), ("soft", 0.0, 3.0), ("shift", 2.0, None), ("hard", 0.8, 0.5))


def _sachs(seeds: list[int]):
    from causalmix.datasets import load_sachs
    from causalmix.transforms import apply_transform

    X = apply_transform(load_sachs().X.to_numpy(), "log")
    for seed in seeds:
        rows = np.random.default_rng(seed).choice(len(X), len(X) // 2, replace=False)
        yield f"sachs log seed {seed}", X[rows]


def _simulated():
    from causalmix.simulate import paper_interventions, random_sem, sample_mixture

    for p in (6, 8, 10):
        for kind, mean, var in SIMULATED:
            for seed in (0, 1):
                rng = np.random.default_rng(seed)
                sem = random_sem(p, density=0.4, random_state=rng)
                kw = {"kind": kind, "mean": mean, "var": var, "random_state": rng}
                if kind == "soft":
                    kw["weight_scale"] = 0.2
                if kind == "shift":
                    del kw["var"]
                ivs = paper_interventions(sem, "half", **kw)
                yield (
                    f"p {p} {kind} {mean:g} seed {seed}",
                    sample_mixture(sem, ivs, 2**14, random_state=rng).X,
                )


def main(argv: list[str]) -> int:
    what = argv[0]
    profile = cProfile.Profile() if "--profile" in argv else None
    seeds = (
        [int(s) for s in argv[argv.index("--seeds") + 1].split(",")]
        if "--seeds" in argv
        else [1, 2, 3]
    )
    cases = _sachs(seeds) if what == "sachs" else _simulated()
    warnings.simplefilter("ignore")
    total, digest = 0.0, hashlib.sha256()
    for label, X in cases:
        est = MixtureUTIGSP(random_state=0)
        start = time.process_time()
        if profile is not None:
            profile.enable()
        est.fit(X)
        if profile is not None:
            profile.disable()
        cpu = time.process_time() - start
        total += cpu
        result = repr((est.n_components_, [sorted(t) for t in est.targets_],
                       np.asarray(est.adjacency_).tolist()))  # fmt: skip
        digest.update(result.encode())
        short = hashlib.sha256(result.encode()).hexdigest()[:8]
        print(f"{label}: K {est.n_components_}, CPU {cpu:.2f} s, result {short}", flush=True)
    print(f"{what}: CPU {total:.1f} s in all, results {digest.hexdigest()[:12]}")
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats("causalmix", 30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
