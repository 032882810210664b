"""Structured logs (VECHE_LOG_FORMAT=json): every line of every process is one JSON object with the service
and instance, and no line of a full run carries the personal data of the appeals it handled, at debug level
(e-mail, phone, name, postal address sent in the appeals, including a refused one whose error names fields)."""
import json
import time

import pytest
import requests

from conftest import Platform, bearer, client_token, user_token, wait_port

PERSONAL = {"full_name": "Пелагея Сидоровна Кукушкина", "email": "kukushkina.p@example.ru", "phone": "+7 916 555-13-71",
            "postal_address": "305000, г. Курск, ул. Садовая, д. 17, кв. 42"}
PROCESSES = ["agency-service", "appeal-service", "gateway"]


@pytest.fixture(scope="module")
def run():
    p = Platform()
    env = {"VECHE_LOG_FORMAT": "json", "VECHE_LOG_LEVEL": "debug"}
    for name in PROCESSES:
        p.start(name, env=env, log=True)
    wait_port(p.http_port, timeout=60)
    deadline = time.time() + 60
    portal = bearer(client_token("veche-integration-portal"))
    body = {"channel": "portal", "externalId": "log-1", "title": "Не вывозят мусор",
            "text": f"Пишет {PERSONAL['full_name']}: мусор не вывозят неделю. Мой телефон {PERSONAL['phone']}",
            "author": PERSONAL}
    created = None
    while time.time() < deadline:   # services migrate and seed first
        try:
            created = requests.post(p.http_url + "/api/v1/appeals", json=body, headers=portal, timeout=10)
            if created.status_code == 201:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    assert created is not None and created.status_code == 201, created and created.text
    appeal = created.json()["appeal"]["id"]
    staff = bearer(user_token("operator"))
    assert requests.get(p.http_url + f"/api/v1/appeals/{appeal}", headers=staff, timeout=10).status_code == 200
    # Refused inputs: a wrong channel for this client and a NUL character in the text, both with the same person.
    refused = requests.post(p.http_url + "/api/v1/appeals", json=dict(body, channel="email", externalId="log-2"), headers=portal, timeout=10)
    assert refused.status_code == 403, refused.text
    nul = requests.post(p.http_url + "/api/v1/appeals", json=dict(body, externalId="log-3", text="a\u0000b " + PERSONAL["email"]),
                        headers=portal, timeout=10)
    assert nul.status_code == 400, nul.text
    codes = p.stop_processes()
    yield p, codes
    p.stop()


def test_every_line_is_json_with_service_and_instance(run):
    p, codes = run
    assert all(c == 0 for c in codes.values()), codes
    for name in PROCESSES:
        lines = [l for l in open(p.log_path(name), encoding="utf-8").read().splitlines() if l.strip()]
        assert len(lines) > 3, f"{name} logged only {len(lines)} lines"
        for line in lines:
            entry = json.loads(line)
            assert entry["service"] == name and entry["instance"] and entry["level"] and entry["msg"] and entry["ts"].endswith("Z"), line


def test_no_personal_data_in_any_log_line(run):
    p, _ = run
    for name in PROCESSES:
        text = open(p.log_path(name), encoding="utf-8").read()
        for field, value in PERSONAL.items():
            assert value not in text, f"{name} logged the author's {field}"
        assert "916 555" not in text and "kukushkina" not in text, f"{name} logged a fragment of the author's contacts"
