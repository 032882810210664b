#!/usr/bin/env python3
"""Writes the seed corpus of `veche-fuzz` into fuzz/corpus/<case>/ (committed; run again after adding messages).

* proto/<message>/seed, json/<message>/seed.json — one populated instance of every message of proto/ (every field
  set, nested messages two levels deep, two elements per repeated field), wire and JSON form (the JSON the gateway
  accepts: lowerCamel keys, enum names without prefix, 64-bit integers as numbers).
* real messages from ../shared/data: appeals of the Kursk «Цифровой прорыв 2022» test set as IncomingAppeal
  (github k1ck3r777/1234) and a result batch of five rows of the R survey package's apistrat sample (cran/survey).
* json/gateway.<Body>/seed.json — the gateway's own request bodies as the API documentation shows them.
* url/gateway.url/seed-N — request URLs (percent-encoded Cyrillic, Open311 dates) for the URL hygiene check.

Usage: scripts/fuzz_seeds.py [--data ../shared/data]
Needs protoc and the Python protobuf package (as scripts/gen_contracts.py).
"""
import csv, gzip, json, os, re, subprocess, sys, tempfile
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
TEXTS = ["Не работает уличное освещение во дворе дома 11а по ул. Энергетиков", "Курская область, г. Курск",
         "Комитет ЖКХ города Курска", "https://pos.gosuslugi.ru/landing/", "38701000"]


def load_pool():
    protos = sorted(os.path.relpath(os.path.join(dp, f), os.path.join(ROOT, "proto"))
                    for dp, _, fs in os.walk(os.path.join(ROOT, "proto")) for f in fs if f.endswith(".proto"))
    with tempfile.TemporaryDirectory() as tmp:
        ds = os.path.join(tmp, "ds.pb")
        subprocess.check_call(["protoc", "-Iproto", "--include_imports", f"--descriptor_set_out={ds}"] + protos, cwd=ROOT)
        fds = descriptor_pb2.FileDescriptorSet.FromString(open(ds, "rb").read())
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return pool, [pool.FindMessageTypeByName(f.package + "." + m.name) for f in fds.file for m in f.message_type]


def populate(msg, depth=0):
    for i, f in enumerate(msg.DESCRIPTOR.fields):
        n = 2 if f.is_repeated else 1
        for k in range(n):
            if f.type == F.TYPE_MESSAGE:
                if depth >= 2:
                    break
                sub = getattr(msg, f.name).add() if n == 2 else getattr(msg, f.name)
                populate(sub, depth + 1)
                continue
            if f.type == F.TYPE_STRING:
                v = TEXTS[(i + k) % len(TEXTS)]
            elif f.type == F.TYPE_BYTES:
                v = bytes([i, k, 255])
            elif f.type == F.TYPE_BOOL:
                v = True
            elif f.type == F.TYPE_ENUM:
                values = f.enum_type.values
                v = values[min(1 + k, len(values) - 1)].number
            elif f.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
                v = 3.5 + i
            elif f.type in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64, F.TYPE_UINT64, F.TYPE_FIXED64):
                v = 1_767_225_600_000 + i
            else:
                v = 42 + i
            if n == 2:
                getattr(msg, f.name).append(v)
            else:
                setattr(msg, f.name, v)


def camel(name):
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def enum_name(enum_desc, number):
    prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", enum_desc.name).upper() + "_"
    v = enum_desc.values_by_number[number].name
    return (v[len(prefix):] if v.startswith(prefix) else v).lower()


def to_json(msg):
    """The generated Swift Codable form (Sources/Contracts/Generated)."""
    out = {}
    for f in msg.DESCRIPTOR.fields:
        v = getattr(msg, f.name)
        def one(x):
            if f.type == F.TYPE_MESSAGE:
                return to_json(x)
            if f.type == F.TYPE_ENUM:
                return enum_name(f.enum_type, x)
            if f.type == F.TYPE_BYTES:
                return list(x)
            return x
        if f.is_repeated:
            out[camel(f.name)] = [one(x) for x in v]
        elif f.type == F.TYPE_MESSAGE:
            if msg.HasField(f.name):
                out[camel(f.name)] = one(v)
        else:
            out[camel(f.name)] = one(v)
    return out


def write(case, name, data):
    d = os.path.join(OUT, case)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def real_messages(pool, data):
    """(message, name) pairs built from real records of ../shared/data."""
    out = []
    incoming = message_factory.GetMessageClass(pool.FindMessageTypeByName("veche.appeal.v1.IncomingAppeal"))
    path = os.path.join(data, "kursk_cp2022_appeals_test.csv.gz")
    if os.path.exists(path):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i == 3:
                    break
                m = incoming(channel=1, external_id="kursk-" + row["id"], received_at_ms=1_767_225_600_000 + i,
                             text=row["Текст Сообщения"][:600], topic_hint=row["Тематика"])
                out.append((m, f"real-kursk-{row['id']}"))
    batch_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("veche.survey.v1.ResultBatch"))
    path = os.path.join(data, "survey", "apistrat.csv")
    if os.path.exists(path):
        batch = batch_cls(batch_id="apistrat-1", survey_id="api", team_id="cran-survey", submitted_at_ms=1_767_225_600_000)
        with open(path, encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i == 5:
                    break
                r = batch.responses.add(respondent_id=row.get("snum", str(i)), stratum=row.get("stype", ""),
                                        base_weight=float(row.get("pw", 0) or 0), fpc=float(row.get("fpc", 0) or 0))
                r.answers.add(question_code="api00", number=float(row.get("api00", 0) or 0), has_number=True)
        out.append((batch, "real-apistrat"))
    return out


def main():
    data = sys.argv[sys.argv.index("--data") + 1] if "--data" in sys.argv else os.path.join(ROOT, "..", "shared", "data")
    pool, messages = load_pool()
    for desc in messages:
        m = message_factory.GetMessageClass(desc)()
        populate(m)
        write("proto/" + desc.full_name, "seed", m.SerializeToString())
        write("json/" + desc.full_name, "seed.json", json.dumps(to_json(m), ensure_ascii=False).encode())
    for m, name in real_messages(pool, data):
        write("proto/" + m.DESCRIPTOR.full_name, name, m.SerializeToString())
        write("json/" + m.DESCRIPTOR.full_name, name + ".json", json.dumps(to_json(m), ensure_ascii=False).encode())
    bodies = {
        "TransitionBody": {"action": "assign", "agencyId": "kursk-gkh", "comment": "по подведомственности", "expectedVersion": 3},
        "AnswerBody": {"answerText": "Освещение восстановлено 12.03, замена ламп выполнена.", "complete": True, "expectedVersion": 5},
        "ClassificationBody": {"topicCode": "gkh", "categoryCode": "gkh.lighting", "comment": "уточнена категория", "expectedVersion": 2},
        "RatingBody": {"satisfaction": 5, "comment": "Спасибо, всё сделали"},
        "StatusBody": {"status": "fieldwork"},
        "OverrideBody": {"kind": "non_working", "note": "День Курской области", "asHoliday": True},
        "ApprovalBody": {"note": "Отчёт за март утверждён"},
        "PromoteBody": {"comment": "Проверить, повторяется ли жалоба"},
    }
    for name, body in bodies.items():
        write("json/gateway." + name, "seed.json", json.dumps(body, ensure_ascii=False).encode())
    # URLs as the gateway's input hygiene sees them (path, then query).
    urls = ["/api/v1/appeals?q=%D1%8F%D0%BC%D0%B0&status=registered&overdue=true&page_size=20",
            "/api/v1/appeals/%D0%9A%D0%A3%D0%A0-2026-000123/routing",
            "/open311/v2/requests.json?service_code=gkh.lighting&start_date=2026-03-01T00%3A00%3A00Z"]
    for i, url in enumerate(urls):
        write("url/gateway.url", f"seed-{i}", url.encode())
    print(f"seeds for {len(messages)} messages (+ real records) and {len(bodies)} gateway bodies, {len(urls)} URLs in {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
