"""The OpenAPI 3.1 description at /openapi.json is a valid document and holds against the running gateway:
schemathesis (PyPI) calls every documented operation with generated inputs, bounded in CI, as the curator
(the broadest staff role), and checks that nothing answers 500, that every status code and content type is
documented and that every response body matches its schema (the proto3 JSON mapping generated from proto/)."""
import json
import os
import subprocess
import sys
import time

import pytest
import requests
from openapi_spec_validator import validate

from conftest import Platform, bearer, user_token, wait_port

EXAMPLES = os.environ.get("VECHE_OPENAPI_EXAMPLES", "4")
MAX_TIME = os.environ.get("VECHE_OPENAPI_SECONDS", "60")


@pytest.fixture(scope="module")
def gateway():
    p = Platform()
    for name in ["agency-service", "appeal-service", "rating-service", "survey-service", "gateway"]:
        p.start(name)
    wait_port(p.http_port, timeout=60)
    deadline = time.time() + 90
    while time.time() < deadline:   # services migrate and seed first
        try:
            if requests.get(p.http_url + "/ready", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    yield p
    p.stop()


def test_document_is_valid_openapi_3_1(gateway):
    r = requests.get(gateway.http_url + "/openapi.json", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    spec = r.json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    assert len(spec["paths"]) >= 40


def test_gateway_conforms_to_its_description(gateway, tmp_path):
    token = user_token("kurator")
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", gateway.http_url + "/openapi.json",
           "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
           "--header", "Authorization: Bearer " + token, "--max-examples", EXAMPLES, "--mode", "positive",
           "--seed", "59", "--max-time", MAX_TIME, "--request-timeout", "30", "--workers", "2",
           "--generation-allow-x00", "false", "--generation-with-security-parameters", "false",
           "--suppress-health-check", "all"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=int(MAX_TIME) + 240, cwd=tmp_path)
    with open(tmp_path.parent / "schemathesis.log", "w") as f:
        f.write(r.stdout)
    assert r.returncode == 0, r.stdout[-6000:]
