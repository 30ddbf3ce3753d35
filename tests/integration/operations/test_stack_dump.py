"""District IT's view into a process that will not stop: SIGUSR1 writes every green
thread's stack to the service's log, and the service keeps running."""

from __future__ import annotations

import signal

from tests.support.platform import Platform, wait_until


def test_sigusr1_writes_the_stacks_to_the_log_and_the_service_goes_on(
    platform: Platform,
) -> None:
    cycles = platform["cycles"]
    assert cycles.process is not None
    cycles.process.send_signal(signal.SIGUSR1)
    log = wait_until(lambda: "green thread stacks" in cycles.log() and cycles.log(),
                     timeout=10, what="the stacks in the log")
    assert "_relay_forever" in log  # the outbox relay's thread is among them
    assert cycles.alive()
    platform.wait_ready()
