"""The dashboard in headless Chromium (Debian's, driven by Playwright) against the platform
started as processes, with a small demo district loaded through the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page

from coachops.identity import Role
from deploy.demo import load_demo_district
from deploy.demo_district import SMALL, District
from gateway.auth import issue
from tests.support.platform import NAMESPACE, Platform, free_port, started


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of their own: the dashboard's leaders read a district that holds the demo
    district alone. In the shared one, the small regions other tests make would have cell
    suppression hide a demo region's counts too (``services/reporting/suppression.py``)."""
    with started(tmp_path_factory.mktemp("demo-logs"), f"{NAMESPACE}-demo",
                 free_port()) as running:
        yield running


@pytest.fixture(scope="session")
def demo(platform: Platform) -> District:
    """The small demo district, loaded once; the loader waits until the reports show it."""
    return load_demo_district(platform.url, size=SMALL, quiet=True,
                              amqp_uri=platform.env["AMQP_URI"])


# Talking to the gateway as the dashboard does -----------------------------------------------


def token(person_id: str, role: Role | str) -> str:
    return issue(uuid.UUID(person_id), Role(role))


def api(platform: Platform, token_: str, path: str, **params: Any) -> Any:
    response = requests.get(platform.url + path, params=params, timeout=30,
                            headers={"Authorization": f"Bearer {token_}"})
    assert response.status_code == 200, response.text
    return response.json() if params.get("format") != "csv" else response.text


def refusal(platform: Platform, token_: str, path: str, **params: Any) -> str:
    response = requests.get(platform.url + path, params=params, timeout=30,
                            headers={"Authorization": f"Bearer {token_}"})
    assert response.status_code == 403, response.text
    return str(response.json()["message"])


def sign_in(page: Page, platform: Platform, token_: str, view: str = "") -> None:
    page.goto(f"{platform.url}/dashboard/")
    page.get_by_label("Access token").fill(token_)
    page.get_by_role("button", name="Sign in").click()
    wait_loaded(page)
    if view:
        show(page, view)


def show(page: Page, address: str) -> None:
    """Go to a view by its address (as a bookmark would) and wait for it."""
    page.evaluate("document.getElementById('status').textContent = ''")
    page.evaluate("(hash) => { location.hash = hash }", address)
    wait_loaded(page)


def wait_loaded(page: Page) -> None:
    page.wait_for_function(
        "() => /loaded\\.$/.test(document.getElementById('status').textContent)"
        " || document.getElementById('error').textContent !== ''")


def cell(page: Page, section: str, key: str, column: str) -> str:
    return page.locator(f'#{section} tr[data-key="{key}"] [data-column="{column}"]').inner_text()


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


# The dashboard's number formats, for comparing what it shows with the API's numbers.
# JavaScript's toFixed rounds the exact binary value half up; so does this.


def _fixed(value: float) -> str:
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def hours(minutes: Any) -> str:
    if isinstance(minutes, dict):
        return "suppressed"
    return "—" if minutes is None else _fixed(minutes / 60)


def percent(share: Any) -> str:
    if isinstance(share, dict):
        return "suppressed"
    return "—" if share is None else f"{_fixed(share * 100)}%"


def count(value: Any) -> str:
    if isinstance(value, dict):
        return "suppressed"
    return "—" if value is None else str(value)
