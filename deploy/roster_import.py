"""Waiting for a roster import to end, as district IT's tools do: ``POST /roster/import``
answers 202 with the import's id at once and runs it in the background, and
``GET /roster/imports/<import_id>`` says where it stands. The demo loader, the benchmark and
the tests that import a roster all wait here."""

from __future__ import annotations

import time
from typing import Any

import requests

OVER = ("done", "failed")


class ImportFailed(Exception):
    """The import failed (nothing was imported): ``record`` has its reason and errors."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(f"the roster import failed: {record.get('reason')} "
                         f"{record.get('errors', [])[:5]}")
        self.record = record


def wait_for_import(url: str, started: requests.Response, headers: dict[str, str],
                    timeout: float = 900, session: Any = requests) -> dict[str, Any]:
    """The record of the import ``started`` (the 202 answer of ``POST /roster/import`` at
    the gateway ``url``) once it is over: done, or failed (``ImportFailed``). Any other
    answer to the POST is raised as it came (``raise_for_status``, else ValueError)."""
    started.raise_for_status()
    if started.status_code != 202:
        raise ValueError(f"the roster import answered {started.status_code}, not 202: "
                         f"{started.text[:300]}")
    path = f"{url}/roster/imports/{started.json()['import_id']}"
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        answer = session.get(path, headers=headers, timeout=60)
        answer.raise_for_status()
        record: dict[str, Any] = answer.json()
        if record["state"] == "failed":
            raise ImportFailed(record)
        if record["state"] == "done":
            return record
        if time.monotonic() > deadline:
            raise TimeoutError(f"the roster import is still {record['state']} "
                               f"({record['rows']}) after {timeout:.0f}s")
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
