"""Open311 GeoReport v2 through the gateway, read with the PyPI `georeport` client (JSON and XML),
requests created with a plain form POST as Open311 mobile apps do."""
import time

import pytest
import requests
from georeport import GeoReport

from conftest import Platform, wait_port


@pytest.fixture(scope="module")
def gateway():
    p = Platform()
    p.start("agency-service")
    p.start("appeal-service")
    p.start("gateway", env={"VECHE_OPEN311_KEYS": "py-open311-key"})
    wait_port(p.http_port, timeout=60)
    base = p.http_url + "/open311/v2"
    deadline = time.time() + 60
    while time.time() < deadline:   # services migrate and seed first
        try:
            if requests.get(base + "/services.json", timeout=2).status_code == 200 and \
                    requests.get(base + "/requests.json", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.3)
    yield base
    codes = p.stop()
    assert all(c == 0 for c in codes.values()), codes


def test_georeport_client_reads_services_and_requests(gateway):
    client = GeoReport(gateway)
    services = client.get_service_list()
    codes = {s["service_code"] for s in services}
    assert {"roads.potholes", "waste.other", "housing.heating"} <= codes
    assert all(s["group"] for s in services)
    definition = client.get_service_definition("roads.potholes")
    assert definition["service_code"] == "roads.potholes"
    assert any(a["code"] == "urgency" for a in definition["attributes"])

    created = requests.post(gateway + "/requests.json", data={
        "api_key": "py-open311-key", "service_code": "roads.potholes", "lat": "51.7304", "long": "36.1926",
        "address_string": "г. Курск, ул. Ленина, 2", "description": "Яма на дороге возле остановки", "email": "citizen@example.ru",
        "attribute[urgency]": "high"}, timeout=10)
    assert created.status_code == 200, created.text
    rid = created.json()[0]["service_request_id"]
    assert len(created.json()[0]["citizen_token"]) == 43

    one = client.get_service_request(rid)
    assert one["service_request_id"] == rid
    assert one["status"] == "open"
    assert one["service_code"] == "roads.potholes"
    assert float(one["lat"]) == pytest.approx(51.7304)

    listed = client.get_service_requests(service_code="roads.potholes", status="open")
    assert any(r["service_request_id"] == rid for r in listed)

    xml = GeoReport(gateway, output_format="xml")
    xml_services = xml.get_service_list()
    assert any(s["service_code"] == "roads.potholes" for s in xml_services)
    assert xml.get_service_request(rid)["service_request_id"] == rid

    bad = requests.post(gateway + "/requests.json", data={"api_key": "wrong", "service_code": "roads.potholes",
                                                          "description": "x", "lat": "1", "long": "2"}, timeout=10)
    assert bad.status_code == 403
    assert bad.json()[0]["code"] == 403
