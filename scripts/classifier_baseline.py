#!/usr/bin/env python3
"""The standard baseline for the appeal classifier (issue #13), run by `veche-tool classifier-eval`
and `veche-tool classifier-select`.

TF-IDF of word 1–2-grams and of char_wb 2–5-grams (scikit-learn FeatureUnion) + LinearSVC, one flat
classifier for topics and one for categories. The settings are fixed and are scikit-learn's defaults
(TfidfVectorizer: lowercase, l2 norm, smooth idf, no sublinear tf, min_df=1; LinearSVC: C=1, squared
hinge, one-vs-rest) — what a practitioner would pick without tuning; they were fixed before any test
figure of this repository was computed and must not be tuned.

Input: the splits file written by veche-tool (JSON lines: id, part = train|validation|test, text,
topic, category). Output: tab-separated `id  topic  category` for the rows of the predicted parts.

    pip install scikit-learn      (PyPI)
    scripts/classifier_baseline.py SPLITS.jsonl OUT.tsv --fit train,validation --predict test
"""
import argparse
import json
import sys
import time

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC


def features():
    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2))),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("splits")
    ap.add_argument("out")
    ap.add_argument("--fit", default="train,validation", help="parts to train on")
    ap.add_argument("--predict", default="test", help="parts to predict")
    args = ap.parse_args()
    fit_parts, predict_parts = set(args.fit.split(",")), set(args.predict.split(","))
    rows = [json.loads(line) for line in open(args.splits, encoding="utf-8")]
    train = [r for r in rows if r["part"] in fit_parts]
    target = [r for r in rows if r["part"] in predict_parts]
    if not train or not target:
        sys.exit(f"no rows to fit ({len(train)}) or to predict ({len(target)})")
    start = time.time()
    vec = features()
    x_train = vec.fit_transform([r["text"] for r in train])
    x_target = vec.transform([r["text"] for r in target])
    predicted = {}
    for level in ("topic", "category"):
        clf = LinearSVC().fit(x_train, [r[level] for r in train])
        predicted[level] = clf.predict(x_target)
    with open(args.out, "w", encoding="utf-8") as out:
        for r, t, c in zip(target, predicted["topic"], predicted["category"]):
            out.write(f"{r['id']}\t{t}\t{c}\n")
    print(f"baseline: scikit-learn {sklearn.__version__}, {x_train.shape[1]} features, fit on {len(train)} rows "
          f"({args.fit}), predicted {len(target)} ({args.predict}) in {time.time() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
