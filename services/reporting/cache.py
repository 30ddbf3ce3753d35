"""Finished reports, kept per process so that a report asked again is not computed again.

A report is a function of what it is asked (the view, the authorised scope and the
normalised query: ``views.Scope`` holds all of it), of the day it is asked on (flags and
"active now" are judged on it) and of the read models. The read models are named by
``schema.read_model_version``: every transaction that changes what a report could
show gives it a new value. The service reads the version *first* in the report's
transaction and computes after it, so what is kept under a version is at least as new as
that version, never older: once anything changes, the key changes and nothing older is
served.

The actor is in the key only through the authorised scope, which is all of the actor a
view sees: two people with the same scope are shown the same rows. Authorisation runs
before the cache is looked in, so a refusal is never answered from it.

Reports are kept as the JSON text that is sent, so a hit costs neither computing nor
encoding; a district's time use is about 400 kB of it, hence a bound in bytes as well as
in reports.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from prometheus_client import Counter

from coachops import settings

LOOKUPS = Counter(
    "coachops_reporting_report_cache_total",
    "Report queries answered from the cache of finished reports (hit) or computed (miss)",
    ["outcome"],
)
HITS, MISSES = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")


class ReportCache:
    """The reports asked for most recently, at most ``size`` of them and ``max_bytes`` of
    text (least recently used goes first; 0 reports: nothing is kept). Green threads
    only switch on I/O, so no lock is needed around the dictionary."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._kept: OrderedDict[Hashable, str] = OrderedDict()

    @classmethod
    def configured(cls) -> ReportCache:
        """``REPORTING_REPORT_CACHE_SIZE`` reports (256; 0 turns the cache off) and
        ``REPORTING_REPORT_CACHE_MB`` of them (64)."""
        configured = settings.current()
        return cls(configured.reporting_report_cache_size,
                   int(configured.reporting_report_cache_mb * (1 << 20)))

    def get(self, key: Hashable) -> str | None:
        if not self.size:
            return None
        found = self._kept.get(key)
        if found is None:
            MISSES.inc()
            return None
        self._kept.move_to_end(key)
        HITS.inc()
        return found

    def put(self, key: Hashable, report: str) -> None:
        if not self.size or len(report) > self.max_bytes:
            return
        previous = self._kept.pop(key, None)
        if previous is not None:
            self.bytes -= len(previous)
        self._kept[key] = report
        self.bytes += len(report)
        while len(self._kept) > self.size or self.bytes > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self.bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._kept)
