#!/usr/bin/env python3
"""Issue #13 probes of 2026-12-05 (validation split only): do finer labels, nearest neighbours, NB-weighted
features or other TF-IDF settings lift the standard baseline where the project's classifier ties it?

Fit on train, predict validation; the test split is never read (the script refuses a splits file holding test rows).
A: the baseline exactly as scripts/classifier_baseline.py (TF-IDF word 1-2 + char_wb 2-5, LinearSVC()).
fine: one LinearSVC over the datasets' own labels (St Petersburg "<category> | <reason>", Kursk «Тематика»: 281
      labels in train, each mapped to one taxonomy category), predictions mapped to category and its topic.
fine+coarse a: A's category scores + a × (the best fine-label score of each category).
nn t: the category/topic of the most similar training appeal (word TF-IDF cosine) when it is at least t, else A's.
nbsvm: one-vs-rest LinearSVC on features scaled by each class's NB log-count ratio (Wang & Manning 2012).
sublinear / w1-3 c1-6 C: TF-IDF with sublinear tf (and wider n-grams), LinearSVC(C).
Prints macro-F1 per source and level over gold ∪ predicted labels (over gold labels only in brackets) and the
difference to A, and, for fine, per-topic reports (which classes move).

DIR must hold splits.jsonl — the train + validation rows as `veche-tool classifier-select` hands them to the
baseline (see scripts/classifier_navec_probe.py for how to capture it). The raw labels are read from the shared
data (VECHE_SHARED_DATA or ../shared/data). Needs scikit-learn (PyPI). Usage: scripts/classifier_probes.py DIR
"""
import csv
import gzip
import json
import os
import sys
import warnings

import numpy as np
from scipy.sparse import diags
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import classification_report, f1_score
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

warnings.filterwarnings("ignore")
BASE = sys.argv[1] if len(sys.argv) > 1 else "."
DATA = os.environ.get("VECHE_SHARED_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
LEVELS = ("topic", "category")
csv.field_size_limit(10 ** 9)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def tfidf(word=(1, 2), char=(2, 5), sublinear=False):
    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=word, sublinear_tf=sublinear)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=char, sublinear_tf=sublinear)),
    ])


raw = {}
with gzip.open(f"{DATA}/spb_nash_peterburg_appeals_2020_2021.csv.gz", "rt", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        raw["spb-" + r["id"]] = "spb: " + r["category"] + " | " + r["reason"]
with gzip.open(f"{DATA}/kursk_cp2022_appeals_train.csv.gz", "rt", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        raw["kursk-" + r["id"]] = "kursk: " + r["Тематика"]
rows = [json.loads(line) for line in open(f"{BASE}/splits.jsonl", encoding="utf-8")]
assert {r["part"] for r in rows} <= {"train", "validation"}, "splits file must not contain test rows"
train = [r for r in rows if r["part"] == "train"]
val = [r for r in rows if r["part"] == "validation"]
src = np.array(["kursk" if r["source"].startswith("kursk") else "spb" for r in val])
gold = {lv: np.array([r[lv] for r in val]) for lv in LEVELS}
fine_category = {}
for r in train:
    fine_category.setdefault(raw[r["id"]], set()).add(r["category"])
assert all(len(c) == 1 for c in fine_category.values()), "a raw label maps to two categories"
fine_category = {k: next(iter(v)) for k, v in fine_category.items()}
topic_of = {r["category"]: r["topic"] for r in rows}
log(f"train {len(train)}, validation {len(val)}; {len(fine_category)} raw labels in train")

preds, results = {}, []


def report(name):
    for lv in LEVELS:
        if (name, lv) not in preds:
            continue
        cells = []
        for s in ("kursk", "spb"):
            m = src == s
            g, p, a = gold[lv][m], preds[name, lv][m], preds["A", lv][m]
            u, go = f1_score(g, p, average="macro"), f1_score(g, p, labels=sorted(set(g)), average="macro")
            ua, goa = f1_score(g, a, average="macro"), f1_score(g, a, labels=sorted(set(g)), average="macro")
            cells.append(f"{'Kursk' if s == 'kursk' else 'St Petersburg'} {u:.3f} ({go:.3f}) {u - ua:+.3f} ({go - goa:+.3f})")
        line = f"{name:<22} {lv:<8} " + " | ".join(cells)
        results.append(line)
        print(line, flush=True)


vec = tfidf()
xt, xv = vec.fit_transform([r["text"] for r in train]), vec.transform([r["text"] for r in val])
coarse = {}
for lv in LEVELS:
    coarse[lv] = LinearSVC().fit(xt, [r[lv] for r in train])
    preds["A", lv] = coarse[lv].predict(xv)
report("A")

fine = LinearSVC().fit(xt, [raw[r["id"]] for r in train])
preds["fine", "category"] = np.array([fine_category[x] for x in fine.predict(xv)])
preds["fine", "topic"] = np.array([topic_of[c] for c in preds["fine", "category"]])
report("fine")
scores, cats = fine.decision_function(xv), list(coarse["category"].classes_)
best = np.full((xv.shape[0], len(cats)), -1e9)
for j, label in enumerate(fine.classes_):
    i = cats.index(fine_category[label])
    best[:, i] = np.maximum(best[:, i], scores[:, j])
for a in (0.5, 1.0):
    preds[f"fine+coarse {a:g}", "category"] = np.array(cats)[np.argmax(coarse["category"].decision_function(xv) + a * best, axis=1)]
    report(f"fine+coarse {a:g}")
for s in ("kursk", "spb"):
    m = src == s
    for name in ("A", "fine"):
        print(f"\n{s} topics, {name}\n" + classification_report(gold["topic"][m], preds[name, "topic"][m], digits=3, zero_division=0))

words = TfidfVectorizer()
train_words = words.fit_transform([r["text"] for r in train])
sim = (words.transform([r["text"] for r in val]) @ train_words.T).tocsr()
nearest, similarity = np.zeros(len(val), int), np.zeros(len(val))
for i in range(sim.shape[0]):
    row = sim.getrow(i)
    if row.nnz:
        nearest[i], similarity[i] = row.indices[np.argmax(row.data)], row.data.max()
for t in (0.6, 0.8, 0.95):
    for lv in LEVELS:
        preds[f"nn {t:g}", lv] = np.where(similarity >= t, np.array([train[j][lv] for j in nearest]), preds["A", lv])
    report(f"nn {t:g}")

present = (xt > 0).astype(np.float32)
for lv in LEVELS:
    y = np.array([r[lv] for r in train])
    classes = sorted(set(y))
    out = np.zeros((xv.shape[0], len(classes)))
    for k, c in enumerate(classes):
        pos = y == c
        p = np.asarray(present[pos].sum(0)).ravel() + 1
        q = np.asarray(present[~pos].sum(0)).ravel() + 1
        d = diags(np.log((p / p.sum()) / (q / q.sum())))
        out[:, k] = LinearSVC().fit(xt @ d, pos.astype(int)).decision_function(xv @ d)
    preds["nbsvm", lv] = np.array(classes)[out.argmax(1)]
report("nbsvm")

for name, v in (("sublinear", tfidf(sublinear=True)), ("w1-3 c1-6 sublinear", tfidf((1, 3), (1, 6), True))):
    xt2, xv2 = v.fit_transform([r["text"] for r in train]), v.transform([r["text"] for r in val])
    for c in (0.5, 1.0):
        for lv in LEVELS:
            preds[f"{name} C={c:g}", lv] = LinearSVC(C=c).fit(xt2, [r[lv] for r in train]).predict(xv2)
        report(f"{name} C={c:g}")
print("\nsummary (system, level, per source: macro-F1 (gold labels only), difference to A (gold labels only))")
print("\n".join(results))
