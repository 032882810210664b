#!/usr/bin/env python3
"""The standard baseline for the appeal classifier (issue #13), run by `veche-tool classifier-eval`
and `veche-tool classifier-select`.

TF-IDF of word 1–2-grams and of char_wb 2–5-grams (scikit-learn FeatureUnion) + LinearSVC, one flat
classifier for topics and one for categories. The settings are fixed and are scikit-learn's defaults
(TfidfVectorizer: lowercase, l2 norm, smooth idf, no sublinear tf, min_df=1; LinearSVC: C=1, squared
hinge, one-vs-rest) — what a practitioner would pick without tuning; they were fixed before any test
figure of this repository was computed and must not be tuned.

Input: the splits file written by veche-tool (JSON lines: id, part = train|validation|test, text,
topic, category, channel, rubric). Output: tab-separated `id  topic  category` for the rows of the predicted parts.

`--metadata` gives the baseline what the project's classifier sees besides the text: an indicator (value 1) of the
intake channel and one of the channel's own rubric (St Petersburg's kind of object), appended to the same TF-IDF
features, nothing else changed. It is the like-for-like comparison when the classifier uses the rubric; the baseline
of the issue is the text-only one.

    pip install scikit-learn      (PyPI)
    scripts/classifier_baseline.py SPLITS.jsonl OUT.tsv --fit train,validation --predict test
"""
import argparse
import json
import sys
import time

import sklearn
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC


def features():
    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2))),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
    ])


def rubric_key(rubric):
    """As the classifier's Rubric.key: lower case, ё as е, white space collapsed."""
    return " ".join(rubric.lower().replace("ё", "е").split())


def metadata_keys(r):
    """The indicator features of a row: its channel, and its (channel, rubric) when it has a rubric."""
    keys = ["channel:" + r.get("channel", "")]
    if rubric_key(r.get("rubric", "")):
        keys.append("rubric:" + r.get("channel", "") + "\x1f" + rubric_key(r["rubric"]))
    return keys


def metadata(rows, columns):
    """The rows' `metadata_keys` as a matrix; `columns` maps each key seen in training to a column."""
    data, ri, ci = [], [], []
    for i, r in enumerate(rows):
        for k in metadata_keys(r):
            if k in columns:
                data.append(1.0), ri.append(i), ci.append(columns[k])
    return csr_matrix((data, (ri, ci)), shape=(len(rows), len(columns)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("splits")
    ap.add_argument("out")
    ap.add_argument("--fit", default="train,validation", help="parts to train on")
    ap.add_argument("--predict", default="test", help="parts to predict")
    ap.add_argument("--metadata", action="store_true", help="append channel and rubric indicators to the features")
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
    if args.metadata:
        columns = {}
        for r in train:
            for k in metadata_keys(r):
                columns.setdefault(k, len(columns))
        x_train = hstack([x_train, metadata(train, columns)]).tocsr()
        x_target = hstack([x_target, metadata(target, columns)]).tocsr()
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
