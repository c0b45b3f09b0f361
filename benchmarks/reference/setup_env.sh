#!/usr/bin/env bash
# Create (idempotently) the reference virtual environment /work/main/.venv-ref with
# causaldag==0.1a163 and a pinned, tested set of dependencies (requirements-ref.txt).
#
# The reference is never a dependency of causalmix: it lives only in this git-ignored venv
# and is driven through benchmarks/reference/run_reference.py (via subprocess).
#
# Usage: bash benchmarks/reference/setup_env.sh [--force]   (--force: rebuild from scratch)
# Env:   PYTHON (default python3, must be 3.11), VENV_REF (default <repo>/.venv-ref)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${VENV_REF:-$REPO/.venv-ref}"
PYTHON="${PYTHON:-python3}"
REQ="$HERE/requirements-ref.txt"
STAMP="$VENV/.reference-installed"
PY="$VENV/bin/python"

if [[ "${1:-}" == "--force" ]]; then
    rm -rf "$VENV"
fi

"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "the reference venv is tested with Python 3.11 only, found " + sys.version.split()[0])'

if [[ ! -x "$PY" ]]; then
    echo "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the pinned requirements changed (or the stamp is missing).
if [[ ! -f "$STAMP" ]] || ! cmp -s "$REQ" "$STAMP"; then
    echo "installing pinned reference packages (first run downloads ~3 GB: pgmpy pulls torch)"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r "$REQ"
    cp "$REQ" "$STAMP"
else
    echo "$VENV is up to date"
fi

# Print the versions that matter and check that UT-IGSP really runs (small chain 0->1->2,
# one do-intervention on node 0; expect arcs {(0,1),(1,2)} and targets [{0}]).
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" - <<'EOF'
import sys
from importlib.metadata import version

pkgs = ["causaldag", "conditional-independence", "graphical-models", "graphical-model-learning",
        "numpy", "scipy", "scikit-learn", "networkx", "pandas", "pgmpy", "torch"]
print("python", sys.version.split()[0])
for name in pkgs:
    print(f"{name}=={version(name)}")

import random

import numpy as np
from causaldag import (
    MemoizedCI_Tester,
    MemoizedInvarianceTester,
    gauss_invariance_suffstat,
    gauss_invariance_test,
    partial_correlation_suffstat,
    partial_correlation_test,
    unknown_target_igsp,
)

rng = np.random.default_rng(0)
n = 5000


def chain(do0=False):
    x0 = 1.0 + 1e-4 * rng.standard_normal(n) if do0 else rng.standard_normal(n)
    x1 = x0 + rng.standard_normal(n)
    x2 = 0.8 * x1 + rng.standard_normal(n)
    return np.column_stack([x0, x1, x2])


obs, iv = chain(), chain(do0=True)
random.seed(0)
np.random.seed(0)  # noqa: NPY002
ci = MemoizedCI_Tester(partial_correlation_test, partial_correlation_suffstat(obs), alpha=1e-3)
inv = MemoizedInvarianceTester(gauss_invariance_test, gauss_invariance_suffstat(obs, [iv]),
                               alpha=1e-3)
dag, targets = unknown_target_igsp([dict(known_interventions=[])], {0, 1, 2}, ci, inv)
print("check: arcs", sorted(dag.arcs), "targets", [sorted(t) for t in targets])
assert set(dag.arcs) == {(0, 1), (1, 2)} and [set(t) for t in targets] == [{0}], "UT-IGSP check failed"
print("UT-IGSP OK")
EOF
