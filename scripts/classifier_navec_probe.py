#!/usr/bin/env python3
"""Issue #13 probe: do Navec mean word vectors add accuracy over the standard baseline? (validation split only)

Fit on train, predict validation; the test split is never read (the script refuses a splits file holding test rows).
A: the baseline exactly as scripts/classifier_baseline.py (TF-IDF word 1-2 + char_wb 2-5, LinearSVC()).
B(s): A's features hstacked with s * the L2-normalised mean Navec vector of the text's words (lowercase, \\w+,
      words not in Navec skipped), s in {0.5, 1, 2}.
C: the L2-normalised mean Navec vector alone, LinearSVC().
Prints macro-F1 per source and level (over gold ∪ predicted labels and over gold labels only) and, for B and C, the
difference to A with a paired-bootstrap 95 % interval (1,000 resamples within each source).

DIR must hold:
  navec_news_v1_1B_250K_300d_100q.tar — from the natasha wheel on PyPI:
      python3 -m pip download natasha==1.6.0 --no-deps -d DIR && unzip -j DIR/natasha-1.6.0-*.whl '*/navec_*.tar' -d DIR
  splits.jsonl — the train + validation rows exactly as `veche-tool classifier-select` hands them to the baseline:
      run `veche-tool classifier-select --only 1 --selection-log DIR/model-selection.json --baseline-script W` with a
      fresh VECHE_STATE_DIR, W a script that copies its first argument to DIR/splits.jsonl and then runs
      scripts/classifier_baseline.py with the same arguments.
Needs scikit-learn and navec (PyPI). Usage: scripts/classifier_navec_probe.py DIR
"""
import json
import re
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC
from navec import Navec

BASE = sys.argv[1] if len(sys.argv) > 1 else "."
SCALES = (0.5, 1.0, 2.0)
RESAMPLES = 1000
SOURCES = (("kursk", "Kursk"), ("spb", "St Petersburg"))
LEVELS = ("topic", "category")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def features():  # identical to classifier_baseline.py
    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2))),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
    ])


rows = [json.loads(line) for line in open(f"{BASE}/splits.jsonl", encoding="utf-8")]
assert {r["part"] for r in rows} <= {"train", "validation"}, "splits file must not contain test rows"
train = [r for r in rows if r["part"] == "train"]
val = [r for r in rows if r["part"] == "validation"]
src_of = lambda r: "kursk" if r["source"].startswith("kursk") else r["source"]
val_src = np.array([src_of(r) for r in val])
log(f"sklearn {sklearn.__version__}; train {len(train)}, validation {len(val)}; "
    f"validation per source: { {s: int((val_src == s).sum()) for s, _ in SOURCES} }")

# ---- Navec mean vectors -------------------------------------------------------------------------
t0 = time.perf_counter()
navec = Navec.load(f"{BASE}/navec_news_v1_1B_250K_300d_100q.tar")
load_s = time.perf_counter() - t0
WORD = re.compile(r"\w+")


def navec_mean(text):
    toks = WORD.findall(text.lower())
    vecs = [navec[w] for w in toks if w in navec]
    if not vecs:
        return np.zeros(300, dtype=np.float32), 0, len(toks)
    m = np.mean(vecs, axis=0)
    n = np.linalg.norm(m)
    return (m / n if n > 0 else m), len(vecs), len(toks)


def navec_matrix(rs):
    out = np.zeros((len(rs), 300), dtype=np.float32)
    found = total = empty = 0
    for i, r in enumerate(rs):
        v, k, nt = navec_mean(r["text"])
        out[i] = v
        found += k
        total += nt
        empty += k == 0
    return out, found, total, empty


t0 = time.perf_counter()
nv_train, f1_, t1_, e1 = navec_matrix(train)
t_train = time.perf_counter() - t0
t0 = time.perf_counter()
nv_val, f2_, t2_, e2 = navec_matrix(val)
t_val = time.perf_counter() - t0
per_appeal_ms = 1000 * (t_train + t_val) / (len(train) + len(val))
log(f"navec load {load_s:.2f} s; mean vectors: {per_appeal_ms:.3f} ms/appeal "
    f"(train {t_train:.1f} s, validation {t_val:.1f} s); token coverage {(f1_ + f2_) / (t1_ + t2_):.3f}; "
    f"texts with no known word: train {e1}, validation {e2}")

# ---- TF-IDF (A) ---------------------------------------------------------------------------------
t0 = time.perf_counter()
vec = features()
x_train = vec.fit_transform([r["text"] for r in train])
x_val = vec.transform([r["text"] for r in val])
log(f"tfidf: {x_train.shape[1]} features, {time.perf_counter() - t0:.0f} s")

gold = {lv: np.array([r[lv] for r in val]) for lv in LEVELS}
y_train = {lv: [r[lv] for r in train] for lv in LEVELS}
preds = {}  # system -> level -> np.array
conv = {}


def fit_predict(name, xtr, xva):
    preds[name] = {}
    for lv in LEVELS:
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always", ConvergenceWarning)
            clf = LinearSVC().fit(xtr, y_train[lv])
        n_conv = sum(issubclass(x.category, ConvergenceWarning) for x in w)
        if n_conv:
            conv[(name, lv)] = n_conv
        preds[name][lv] = clf.predict(xva)
        log(f"{name} {lv}: {time.perf_counter() - t0:.0f} s{' (ConvergenceWarning)' if n_conv else ''}")


fit_predict("A", x_train, x_val)
# sanity check: A must reproduce the tool's run of the baseline (same splits, same sklearn)
import glob
tsv = glob.glob(f"{BASE}/state/classifier-baseline/baseline-*.tsv")
if tsv:
    tool = {l.split("\t")[0]: l.rstrip("\n").split("\t")[1:] for l in open(tsv[0], encoding="utf-8")}
    same = sum(tool[r["id"]] == [t, c] for r, t, c in zip(val, preds["A"]["topic"], preds["A"]["category"]))
    log(f"A vs the tool's baseline predictions: {same}/{len(val)} rows identical")
for s in SCALES:
    fit_predict(f"B s={s:g}", sp.hstack([x_train, sp.csr_matrix(nv_train * s)], format="csr"),
                sp.hstack([x_val, sp.csr_matrix(nv_val * s)], format="csr"))
fit_predict("C navec only", nv_train, nv_val)


# ---- metrics ------------------------------------------------------------------------------------
def fast_f1(g, p, labels, sample=None, supported_only=False):
    """Macro-F1 from counts. labels: array of label strings (coding); supported_only: classes with gold support > 0
    in the (re)sample; else classes in gold ∪ predicted of the (re)sample (scikit-learn's default)."""
    k = len(labels)
    gi, pi = g, p
    if sample is not None:
        gi, pi = g[sample], p[sample]
    tp = np.bincount(gi[gi == pi], minlength=k)
    sup = np.bincount(gi, minlength=k)
    pc = np.bincount(pi, minlength=k)
    denom = sup + pc
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    mask = sup > 0 if supported_only else denom > 0
    return f1[mask].mean()


rng = np.random.default_rng(13)
systems = list(preds)
results = {}  # (source, level, system) -> (union, gold_only)
boot = {}  # (source, level, system, kind) -> (lo, hi, share<=0)
for src, title in SOURCES:
    idx = np.where(val_src == src)[0]
    samples = [rng.integers(0, len(idx), len(idx)) for _ in range(RESAMPLES)]  # same resamples for all systems
    for lv in LEVELS:
        g = gold[lv][idx]
        allp = {name: preds[name][lv][idx] for name in systems}
        labels = np.array(sorted(set(g).union(*[set(p) for p in allp.values()])))
        code = {l: i for i, l in enumerate(labels)}
        gc = np.array([code[x] for x in g])
        pcs = {name: np.array([code[x] for x in p]) for name, p in allp.items()}
        for name in systems:
            p = allp[name]
            u = f1_score(g, p, average="macro", zero_division=0)
            go = f1_score(g, p, labels=sorted(set(g)), average="macro", zero_division=0)
            assert abs(u - fast_f1(gc, pcs[name], labels)) < 1e-9 and abs(go - fast_f1(gc, pcs[name], labels, supported_only=True)) < 1e-9
            results[(src, lv, name)] = (u, go)
        for name in systems:
            if name == "A":
                continue
            for kind, so in (("union", False), ("gold", True)):
                d = np.array([fast_f1(gc, pcs[name], labels, s, so) - fast_f1(gc, pcs["A"], labels, s, so) for s in samples])
                boot[(src, lv, name, kind)] = (np.percentile(d, 2.5), np.percentile(d, 97.5), float((d <= 0).mean()))

# ---- report -------------------------------------------------------------------------------------
out = []
out.append(f"Validation only (fit on train {len(train)} rows, predict validation {len(val)} rows: "
           f"Kursk {int((val_src == 'kursk').sum())}, St Petersburg {int((val_src == 'spb').sum())}). sklearn {sklearn.__version__}.")
out.append("macro-F1 over gold ∪ predicted labels (over gold labels only in brackets); for B and C: difference vs A, "
           f"paired-bootstrap 95% interval ({RESAMPLES} resamples of validation rows within each source, same resamples for all systems)\n")
for src, title in SOURCES:
    for lv in LEVELS:
        out.append(f"{title}, {'topics' if lv == 'topic' else 'categories'}")
        a = results[(src, lv, "A")]
        for name in systems:
            u, go = results[(src, lv, name)]
            line = f"  {name:14s} {u:.3f} ({go:.3f})"
            if name != "A":
                bu, bg = boot[(src, lv, name, "union")], boot[(src, lv, name, "gold")]
                line += (f"   Δ {u - a[0]:+.3f} [{bu[0]:+.3f}, {bu[1]:+.3f}]   Δgold-only {go - a[1]:+.3f} "
                         f"[{bg[0]:+.3f}, {bg[1]:+.3f}]")
            out.append(line)
        out.append("")
out.append(f"Navec: load {load_s:.2f} s; mean vector {per_appeal_ms:.3f} ms per appeal (tokenise + lookup + mean + L2, "
           f"navec's Python API, one core); token coverage {(f1_ + f2_) / (t1_ + t2_):.3f}; texts without a known word: "
           f"train {e1}, validation {e2}")
if conv:
    out.append("ConvergenceWarning (LinearSVC max_iter=1000): " + ", ".join(f"{n} {lv}" for (n, lv) in conv))
text = "\n".join(out)
print(text)
open(f"{BASE}/results.txt", "w", encoding="utf-8").write(text + "\n")
json.dump({"results": {"|".join(k): v for k, v in results.items()},
           "bootstrap": {"|".join(k): v for k, v in boot.items()},
           "navec_ms_per_appeal": per_appeal_ms, "navec_load_s": load_s},
          open(f"{BASE}/results.json", "w"), indent=1, ensure_ascii=False)
