"""Record causalmix outputs on fixed seeds, to show a refactor changes nothing (issue #15).

    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 python tools/refactor_check/record.py before.npz   # old commit
    PYTHONPATH=src OPENBLAS_NUM_THREADS=1 python tools/refactor_check/record.py after.npz    # new commit
    python tools/refactor_check/compare.py before.npz after.npz

Estimator fits of six simulated cases (do, hard, soft, shift, weak hard), paper_mode, refine none with
resampled statistics, a fixed K, a user-given observational component, the block-wise path above
2^17 rows; select_n_components for every criterion; ut_igsp with both start/select pairs; gsp;
stability. compare.py exits 1 on any difference beyond 1e-9 relative (a refactor should be
bit-identical)."""

import sys
import time

import numpy as np

import causalmix as cm
from causalmix.discovery import gsp, ut_igsp
from causalmix.mixture import large, select_n_components
from causalmix.simulate import paper_interventions, random_sem, sample_mixture

out = {}


def put(prefix, obj):
    for k, v in obj.items():
        out[f"{prefix}/{k}"] = np.asarray(v)


def case(p, kind, seed, n=2**13, **kw):
    rng = np.random.default_rng(seed)
    sem = random_sem(p, density=0.4, random_state=rng)
    ivs = paper_interventions(sem, targets="half", kind=kind, random_state=rng, **kw)
    return sample_mixture(sem, ivs, n, random_state=rng)


def est_record(name, est, X):
    t = time.time()
    est.fit(X)
    d = dict(
        K=est.n_components_,
        weights=est.weights_,
        means=est.means_,
        covs=est.covariances_,
        labels=est.labels_,
        obs=est.observational_component_,
        targets=np.array([sorted(t) + [-1] * (X.shape[1] - len(t)) for t in est.targets_]),
        adj=est.adjacency_,
        icpdag=est.icpdag_,
        curve=np.array(sorted(est.selection_curve_.items()), dtype=float),
        refined=est.refined_,
        eff=est.effective_sizes_,
    )
    if getattr(est, "mechanisms_", None) is not None:
        for k, v in vars(est.mechanisms_).items():
            if isinstance(v, (np.ndarray, int, float)):
                d["mech_" + k] = v
    put(name, d)
    print(
        name,
        "K",
        est.n_components_,
        "obs",
        est.observational_component_,
        "targets",
        [sorted(t) for t in est.targets_],
        f"{time.time() - t:.1f}s",
        flush=True,
    )


cases = {
    "do6_s0": case(6, "do", 0),
    "do6_s1": case(6, "do", 1),
    "hard6_s2": case(6, "hard", 2, mean=2.0, var=0.5),
    "soft5_s3": case(5, "soft", 3),
    "shift6_s4": case(6, "shift", 4, mean=2.0),
    "hardweak5_s5": case(5, "hard", 5, mean=0.8, var=0.5),
}
for name, s in cases.items():
    est_record(f"est/{name}", cm.MixtureUTIGSP(random_state=7), s.X)
est_record("paper/do6_s0", cm.MixtureUTIGSP.paper_mode(random_state=3), cases["do6_s0"].X)
est_record(
    "none_resampled/hard6_s2",
    cm.MixtureUTIGSP(refine="none", statistics="resampled", n_resamples=3, random_state=5),
    cases["hard6_s2"].X,
)
est_record(
    "fixedK/shift6_s4", cm.MixtureUTIGSP(n_components=4, random_state=2), cases["shift6_s4"].X
)
est_record(
    "obsuser/do6_s1",
    cm.MixtureUTIGSP(observational=0, criterion="sbic", random_state=2),
    cases["do6_s1"].X,
)
# large path (N > IN_MEMORY_ROWS)
big = case(5, "do", 11, n=large.IN_MEMORY_ROWS + 4096)
est_record("large/do5_s11", cm.MixtureUTIGSP(random_state=1), big.X)

for crit in ["sbic", "bic", "icl", "drop_ratio"]:
    for name in ["do6_s0", "soft5_s3"]:
        sel = select_n_components(cases[name].X, criterion=crit, random_state=4)
        d = {
            "K": sel.n_components,
            "curve": sel.curve,
            "ll": sel.log_likelihoods,
            "sweep": sel.sweep_curve,
            "weights": sel.mixture.weights,
            "means": sel.mixture.means,
            "covs": sel.mixture.covariances,
            "mll": sel.mixture.log_likelihood,
        }
        if sel.interventional_curve is not None:
            d["icurve"] = sel.interventional_curve
        put(f"sel/{crit}/{name}", d)
        print("sel", crit, name, sel.n_components, flush=True)

for name in ["do6_s0", "hard6_s2", "shift6_s4"]:
    s = cases[name]
    labels = s.labels
    ds = [s.X[labels == k] for k in range(labels.max() + 1)]
    for st, se in [("min_degree", "lexicographic"), ("mixed", "total")]:
        r = ut_igsp(ds, 0, random_state=9, start=st, select=se)
        put(
            f"utigsp/{name}/{st}",
            dict(
                adj=r.adjacency,
                icpdag=r.icpdag,
                targets=np.array([sorted(t) + [-1] * (s.X.shape[1] - len(t)) for t in r.targets]),
            ),
        )
        print("utigsp", name, st, [sorted(t) for t in r.targets], flush=True)
    g = gsp(ds[0], random_state=9)
    put(f"gsp/{name}", dict(adj=g.adjacency))

st = cm.stability(cases["do6_s0"].X, n_resamples=4, random_state=3, n_jobs=1)
put(
    "stab/do6_s0",
    st.to_dict()
    if False
    else dict(
        adj=st.adjacency,
        kf=np.array(sorted(st.k_frequencies.items()), dtype=float),
        ref=st.reference_frequency()
        if callable(st.reference_frequency)
        else st.reference_frequency,
        dirf=st.directed,
        und=st.undirected,
        tf=st.target_frequency,
        of=st.observational_frequency,
        K=st.n_components,
    ),
)
np.savez(sys.argv[1], **out)
print("saved", len(out))
