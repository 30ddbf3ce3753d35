"""/healthz says the gateway is up; /readyz that every service and the gateway's own
database answer."""

from __future__ import annotations

import requests

from tests.support.platform import Platform


def test_ready_means_every_service_and_the_gateway_database_answer(platform: Platform) -> None:
    assert requests.get(f"{platform.url}/healthz", timeout=5).json() == {"status": "up"}
    ready = requests.get(f"{platform.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"ready": True, "gateway_database": True, "services": {
        "agreements": True, "cycles": True, "reporting": True, "timetracking": True}}
