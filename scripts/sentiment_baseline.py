#!/usr/bin/env python3
"""TF-IDF + linear SVM baseline for the tone model (scikit-learn from PyPI).

Trains on the non-held-out rows of shared/data/sentiment (RuSentiTweet `train`; SentiRuEval-2016
training collection) and predicts the held-out rows (RuSentiTweet `test`; SentiRuEval-2016 test
gold `*_test2016_etalon_2015`). The baseline is scikit-learn's standard text pipeline: word 1-2-gram
TfidfVectorizer (sublinear tf, min_df=2) + LinearSVC (one-vs-rest linear SVM, liblinear). It is
tuned, not a straw man: C and
the class weighting (none / balanced / balanced within each data set) are chosen by 3-fold
stratified cross-validation on the training rows only, scored by the mean of the per-data-set
macro-F1 — the same figure the Swift model is judged by.

Writes file,row,dataset,gold,pred for every held-out row; `veche-tool sentiment-eval --baseline`
joins on (file, row) and runs the paired bootstrap.
"""
import argparse
import csv
import gzip
import os
import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

FILES = ["rusentitweet.csv.gz", "sentirueval2016_banks_telecom.csv.gz"]
DATASETS = ["rusentitweet", "sentirueval2016_banks", "sentirueval2016_telecom"]


def load(data_dir):
    rows = []
    for f in FILES:
        with gzip.open(os.path.join(data_dir, "sentiment", f), "rt", encoding="utf-8", newline="") as fh:
            for i, r in enumerate(csv.DictReader(fh)):
                if r["label"] in ("negative", "neutral", "positive"):
                    r["file"], r["row"] = f, i
                    r["held_out"] = r["subset"] == "test" or "test2016" in r["subset"]
                    rows.append(r)
    return rows


def weights(rows, mode):
    if mode == "none":
        return None
    key = (lambda r: r["label"]) if mode == "balanced" else (lambda r: (r["dataset"], r["label"]))
    group = (lambda r: "all") if mode == "balanced" else (lambda r: r["dataset"])
    nk, ng = {}, {}
    for r in rows:
        nk[key(r)] = nk.get(key(r), 0) + 1
        ng[group(r)] = ng.get(group(r), 0) + 1
    w = np.array([ng[group(r)] / (3.0 * nk[key(r)]) for r in rows])
    return w / w.mean()


def score(rows, pred):
    out = {}
    for d in DATASETS:
        idx = [i for i, r in enumerate(rows) if r["dataset"] == d]
        if idx:
            out[d] = f1_score([rows[i]["label"] for i in idx], [pred[i] for i in idx], average="macro")
    return out


def fit_predict(train, test, c, mode):
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    x = vec.fit_transform([r["text"] for r in train])
    clf = LinearSVC(C=c, max_iter=5000)
    clf.fit(x, [r["label"] for r in train], sample_weight=weights(train, mode))
    return clf.predict(vec.transform([r["text"] for r in test]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("VECHE_SHARED_DATA", os.path.join(os.path.dirname(__file__), "../../shared/data")))
    ap.add_argument("--output", required=True, help="predictions CSV to write")
    args = ap.parse_args()
    rows = load(args.data)
    train = [r for r in rows if not r["held_out"]]
    test = [r for r in rows if r["held_out"]]
    strata = [r["dataset"] + "/" + r["label"] for r in train]
    folds = list(StratifiedKFold(n_splits=3, shuffle=True, random_state=2016).split(np.zeros(len(train)), strata))
    best = None
    for mode in ("none", "balanced", "per-dataset"):
        for c in (0.1, 0.3, 1.0):
            cv = []
            for tr, va in folds:
                part = [train[i] for i in va]
                cv.append(np.mean(list(score(part, fit_predict([train[i] for i in tr], part, c, mode)).values())))
            m = float(np.mean(cv))
            print(f"cv weighting={mode:12s} C={c:<5g} mean macro-F1 {m:.4f}", flush=True)
            if best is None or m > best[0]:
                best = (m, c, mode)
    _, c, mode = best
    print(f"chosen: C={c} weighting={mode}")
    pred = fit_predict(train, test, c, mode)
    for d, f in score(test, pred).items():
        print(f"held-out {d:25s} n={sum(r['dataset'] == d for r in test):5d} macro-F1 {f:.3f}")
    with open(args.output, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "dataset", "gold", "pred"])
        for r, p in zip(test, pred):
            w.writerow([r["file"], r["row"], r["dataset"], r["label"], p])
    print(f"predictions written to {args.output}")


if __name__ == "__main__":
    sys.exit(main())
