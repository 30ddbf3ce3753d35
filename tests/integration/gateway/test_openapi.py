"""The description and the docs page as the running gateway serves them, without a token."""

from __future__ import annotations

import json

import pytest
import requests
from openapi_spec_validator import validate

from gateway.openapi import document
from gateway.service import GatewayService
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def test_openapi_json_is_served_without_a_token_and_is_valid(platform: Platform) -> None:
    response = requests.get(f"{platform.url}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    served = response.json()
    validate(served)
    assert served == json.loads(json.dumps(document(GatewayService)))


@pytest.mark.parametrize(("path", "media"), [
    ("/docs", "text/html"), ("/docs/docs.js", "text/javascript"),
    ("/docs/docs.css", "text/css")])
def test_the_docs_page_is_served_by_the_gateway(platform: Platform, path: str,
                                                media: str) -> None:
    response = requests.get(f"{platform.url}{path}", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_an_unknown_docs_file_is_a_404(platform: Platform) -> None:
    response = requests.get(f"{platform.url}/docs/..%2F..%2Fauth.py", timeout=30)
    assert response.status_code == 404
