"""What the browser tests of district sign-in share: a real OpenID Connect provider run as
a process (``tests/support/oidc.py``), the district's people on the roster and known to it,
a gateway signing them in with it (no token pasting: as in production), and the person's
part on the provider's own page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.support.browser import shot
from tests.support.oidc import (
    District,
    Gateway,
    RunningProvider,
    district_people,
    gateway_signing_in,
    known_to,
    provider_fixture,  # noqa: F401  (the fixture ``provider``)
)
from tests.support.platform import Platform


@pytest.fixture(scope="module")
def district(platform: Platform, provider: RunningProvider) -> District:
    return known_to(provider, district_people(platform), lambda made, name: {
        "email": made[name].email, "email_verified": True})


@pytest.fixture(scope="module")
def gateway(platform: Platform, provider: RunningProvider, district: District,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway as in production: district sign-in and no token pasting (``district``: its
    people are on the roster before anyone signs in)."""
    production = {"COACHOPS_TOKEN_PASTE": "off"}
    log_dir = tmp_path_factory.mktemp("gw")
    with gateway_signing_in(platform, provider, log_dir, **production) as gw:
        yield gw


def through_the_provider(page: Page, email: str, name: str) -> None:
    """The provider's own page: the person says who they are and authorises coachops."""
    page.wait_for_url("**/oauth2/authorize?**")
    shot(page, f"signin-{name}-2-provider")
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()


