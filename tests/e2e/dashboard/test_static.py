"""The dashboard's files: served without a token, with their types and a policy that lets
the page load nothing from elsewhere; nothing outside the folder can be reached."""

from __future__ import annotations

import re

import pytest
import requests

from gateway.routes.dashboard import FILES
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

REMOTE = re.compile(r"""(?:src|href|from|import|url)\s*[=(]?\s*["']?(?:https?:)?//""", re.I)


def test_the_home_page_leads_to_the_dashboard(platform: Platform) -> None:
    response = requests.get(f"{platform.url}/", allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/")
    response = requests.get(f"{platform.url}/dashboard", allow_redirects=False, timeout=10)
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/dashboard/")


@pytest.mark.parametrize(("path", "content_type"), [
    ("/dashboard/", "text/html; charset=utf-8"),
    ("/dashboard/index.html", "text/html; charset=utf-8"),
    ("/dashboard/style.css", "text/css; charset=utf-8"),
    ("/dashboard/js/app.js", "text/javascript; charset=utf-8"),
    ("/dashboard/js/views/time_use.js", "text/javascript; charset=utf-8"),
    ("/dashboard/favicon.svg", "image/svg+xml"),
])
def test_files_come_with_their_type_and_a_strict_policy(platform: Platform, path: str,
                                                        content_type: str) -> None:
    response = requests.get(platform.url + path, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "http" not in policy and "*" not in policy and "unsafe" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_file_loads_anything_from_another_origin() -> None:
    assert FILES, "the dashboard folder is empty"
    for name, path in FILES.items():
        text = path.read_text()
        # The SVG namespace is a name, not a place anything is loaded from.
        text = text.replace("http://www.w3.org/2000/svg", "")
        assert not REMOTE.search(text), f"{name} refers to another origin"


@pytest.mark.parametrize("path", [
    "/dashboard/%2e%2e/routes/dashboard.py",
    "/dashboard/..%2f..%2fpyproject.toml",
    "/dashboard/js/%2e%2e/%2e%2e/auth.py",
    "/dashboard/%2fetc%2fpasswd",
    "/dashboard/js/app.py",
    "/dashboard/missing.html",
])
def test_nothing_outside_the_folder_is_served(platform: Platform, path: str) -> None:
    response = requests.get(platform.url + path, timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "message" in response.json()
