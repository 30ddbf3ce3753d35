"""The cache of finished reports keeps the reports asked most recently, within a count and
a size in bytes, and counts its hits and misses for /metrics."""

from __future__ import annotations

import pytest

from services.reporting.cache import HITS, MISSES, ReportCache
from tests.support.settings import configure


def counted() -> tuple[float, float]:
    return HITS._value.get(), MISSES._value.get()


def test_the_least_recently_asked_report_goes_first() -> None:
    cache = ReportCache(size=2, max_bytes=1 << 20)
    cache.put("district", "{}")
    cache.put("region", "{}")
    assert cache.get("district") == "{}"  # now the more recently asked of the two
    cache.put("school", "{}")
    assert cache.get("region") is None
    assert cache.get("district") == cache.get("school") == "{}"
    assert len(cache) == 2


def test_reports_are_kept_within_a_size_in_bytes() -> None:
    cache = ReportCache(size=10, max_bytes=10)
    cache.put("a", "12345")
    cache.put("b", "12345")
    cache.put("c", "123")  # 13 bytes: the oldest goes
    assert cache.get("a") is None and cache.get("b") == "12345" and cache.get("c") == "123"
    cache.put("b", "1")  # kept again under the same key: counted once
    assert cache.bytes == 4
    cache.put("huge", "x" * 11)  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2


def test_hits_and_misses_are_counted() -> None:
    cache = ReportCache(size=4, max_bytes=1 << 20)
    hits, misses = counted()
    assert cache.get("council") is None
    cache.put("council", "[]")
    assert cache.get("council") == "[]"
    assert counted() == (hits + 1, misses + 1)


def test_a_cache_of_no_reports_keeps_none_and_counts_nothing() -> None:
    cache = ReportCache(size=0, max_bytes=1 << 20)
    before = counted()
    cache.put("district", "{}")
    assert cache.get("district") is None and len(cache) == 0
    assert counted() == before


@pytest.mark.parametrize("size, megabytes, expected", [
    (None, None, (256, 64 << 20)), ("0", None, (0, 64 << 20)), ("16", "0.5", (16, 1 << 19)),
])
def test_its_bounds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                              size: str | None, megabytes: str | None,
                                              expected: tuple[int, int]) -> None:
    configure(monkeypatch, REPORTING_REPORT_CACHE_SIZE=size or "",  # "": the default
              REPORTING_REPORT_CACHE_MB=megabytes or "")
    cache = ReportCache.configured()
    assert (cache.size, cache.max_bytes) == expected
