"""CPU seconds per ``MixtureUTIGSP().fit`` on the paper's protocol, for comparing two libraries.

Five data sets (seeds 0-4) of ``random_sem(p, density=0.8)`` with do-interventions to 1.0 on
"all" or "half" the nodes, N = 2^16 (``--log2n``); prints the mean and each fit's CPU time. Run
it with each library on ``PYTHONPATH``, alternately, on the same machine (the numbers of
``docs/design.md`` §7 compare ff66d5b, the library before issue #14's work, with today's)::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python tools/paper_cell_cpu.py 8 all \
        [--log2n 16] [--profile]

``--profile`` prints cProfile's cumulative top of the library's functions over the five fits.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
import warnings

from causalmix import MixtureUTIGSP
from causalmix.simulate import paper_interventions, random_sem, sample_mixture


def main(argv: list[str]) -> int:
    p, targets = int(argv[0]), argv[1]
    profile = cProfile.Profile() if "--profile" in argv[2:] else None
    log2n = int(argv[argv.index("--log2n") + 1]) if "--log2n" in argv else 16
    cpu = []
    warnings.simplefilter("ignore")
    for seed in range(5):
        sem = random_sem(p, density=0.8, random_state=seed)
        ivs = paper_interventions(sem, targets=targets, kind="do", mean=1.0, var=1e-9)
        X = sample_mixture(sem, ivs, 2**log2n, random_state=seed).X
        start = time.process_time()
        if profile is not None:
            profile.enable()
        MixtureUTIGSP(random_state=seed).fit(X)
        if profile is not None:
            profile.disable()
        cpu.append(time.process_time() - start)
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats("causalmix", 25)
    print(
        f"p = {p}, {targets}, N = 2^{log2n}: mean CPU {sum(cpu) / len(cpu):.3f} s",
        [round(c, 2) for c in cpu],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
