"""A flood from one sign-in is answered 429 with Retry-After, on a gateway process of its
own started with a low limit; another person signed in at the same time goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import requests

from tests.support.auth import bearer
from tests.support.platform import Platform
from tests.support.roster import school


def test_a_flood_from_one_token_is_slowed_with_429(
        platform: Platform, another_gateway: Callable[..., str]) -> None:
    limited = another_gateway(GATEWAY_RATE_LIMIT="0.1", GATEWAY_RATE_BURST="5")
    coach, other = school(platform, coaches=2).coaches
    flooding = bearer(coach, "coach")
    answers: Counter[int] = Counter()
    retry_after: set[int] = set()
    for _ in range(20):
        response = requests.get(f"{limited}/coaches/{coach}/caseload", headers=flooding,
                                timeout=30)
        answers[response.status_code] += 1
        if response.status_code == 429:
            retry_after.add(int(response.headers["Retry-After"]))
            assert "too many requests" in response.json()["message"]
    # A burst of 5, then one request per 10 s: at most a few more in the time taken.
    assert answers[200] >= 5 and answers[429] >= 12, answers
    assert set(answers) == {200, 429}, answers
    assert all(1 <= seconds <= 10 for seconds in retry_after), retry_after
    calm = requests.get(f"{limited}/coaches/{other}/caseload", headers=bearer(other, "coach"),
                        timeout=30)
    assert calm.status_code == 200, calm.text
