import sys

import numpy as np

a, b = np.load(sys.argv[1], allow_pickle=True), np.load(sys.argv[2], allow_pickle=True)
ka, kb = set(a.files), set(b.files)
bad = 0
for k in sorted(ka ^ kb):
    print("missing in one:", k)
    bad += 1
worst = 0.0
for k in sorted(ka & kb):
    x, y = a[k], b[k]
    if x.shape != y.shape:
        print("shape", k, x.shape, y.shape)
        bad += 1
        continue
    if x.dtype.kind in "fc" and x.size and np.isnan(x).all() and np.isnan(y).all():
        continue
    if x.dtype.kind == "O":
        if repr(x.tolist()) != repr(y.tolist()):
            print("differs", k)
            bad += 1
        continue
    if x.dtype.kind in "fc":
        d = np.nanmax(np.abs(x - y) / (1 + np.abs(x))) if x.size else 0.0
        if not np.array_equal(np.isnan(x), np.isnan(y)) or d > 1e-9:
            print("differs", k, d)
            bad += 1
        worst = max(worst, d if np.isfinite(d) else 0)
    elif not np.array_equal(x, y):
        print("differs", k)
        bad += 1
exact = sum(repr(a[k].tolist()) == repr(b[k].tolist()) for k in ka & kb)
print(
    f"{len(ka & kb)} arrays compared, {exact} bit-identical, worst relative float difference {worst:.2e}, {bad} differences"
)
sys.exit(1 if bad else 0)
