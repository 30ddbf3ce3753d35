"""What the test clusters (``rabbit_cluster``, ``pg_cluster``) share: nodes started as
process groups of their own (``start_new_session``), stopped group by group, and a cluster
formed for a ``with`` block."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar


def terminate(processes: Iterable[subprocess.Popen[bytes] | None]) -> None:
    """SIGTERM to the group of each process still running, then wait for each; a group
    still there after a minute is SIGKILLed."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        os.killpg(process.pid, signal.SIGTERM)
    for process in running:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Formable(Protocol):
    def form(self) -> None: ...

    def stop(self) -> None: ...


C = TypeVar("C", bound=Formable)


@contextmanager
def formed(cluster: C) -> Iterator[C]:
    """The cluster formed for the block, and stopped after it whatever happened."""
    try:
        cluster.form()
        yield cluster
    finally:
        cluster.stop()
