"""A consumer that RabbitMQ has forgotten while its connection stays up is found and
reconnected (``coachops.bus.watch``), on the real broker, in a service run as a process.

``tests/support/forgetful.py`` cancels its own RPC consumer at the broker behind nameko's
back: the connection stays open and looks healthy, the queue has no consumer, and requests
wait unanswered, as was seen after a RabbitMQ cluster lost a node.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kombu import Connection
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from tests.support.forgetful import QUEUE
from tests.support.platform import NAMESPACE, reset_vhost, wait_until

WATCH_NAMESPACE = f"{NAMESPACE}watch"
AMQP_URI = f"amqp://guest:guest@127.0.0.1:5672/coachops-{WATCH_NAMESPACE}"
ROOT = Path(__file__).resolve().parents[3]


def queue_state() -> tuple[int, int]:
    """(messages waiting, consumers) of the service's RPC queue, as the broker counts them."""
    with Connection(AMQP_URI) as connection:
        _, ready, consumers = connection.default_channel.queue_declare(queue=QUEUE, passive=True)
    return ready, consumers


def consumed() -> bool:
    try:
        return queue_state()[1] == 1
    except Exception:  # the queue not declared yet
        return False


@contextmanager
def forgetful(check_seconds: str, log: Path) -> Iterator[None]:
    reset_vhost(WATCH_NAMESPACE)
    env = {**os.environ, "AMQP_URI": AMQP_URI, "CONSUMER_CHECK_SECONDS": check_seconds,
           "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        service = subprocess.Popen(
            [sys.executable, "-m", "coachops.serve", "tests.support.forgetful"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(consumed, timeout=60, what="the service consuming its RPC queue")
        yield
    finally:
        service.terminate()
        service.wait(timeout=30)


def ask(method: str, timeout: float) -> str | None:
    with ClusterRpcProxy({"AMQP_URI": AMQP_URI}, timeout=timeout) as services:
        answer: str | None = getattr(services.forgetful, method)()
        return answer


def test_a_forgotten_consumer_is_reconnected_and_answers(tmp_path: Path) -> None:
    log = tmp_path / "forgetful.log"
    with forgetful(check_seconds="0.5", log=log):
        ask("forget_me", timeout=10)
        wait_until(lambda: queue_state()[1] == 0, timeout=10, what="the broker forgetting it")
        # Waits while nobody consumes, then is answered once the check has reconnected.
        assert ask("ping", timeout=30) == "pong"
        assert queue_state()[1] == 1
    assert "RabbitMQ is not delivering to this consumer (rpc-forgetful" in log.read_text()


def test_without_the_check_the_forgotten_consumer_answers_nothing(tmp_path: Path) -> None:
    """What the check is for: the same loss with the check off is never recovered."""
    with forgetful(check_seconds="0", log=tmp_path / "forgetful.log"):
        ask("forget_me", timeout=10)
        wait_until(lambda: queue_state()[1] == 0, timeout=10, what="the broker forgetting it")
        with pytest.raises(RpcTimeout):
            ask("ping", timeout=5)
        assert queue_state() == (1, 0)  # the request waits; nobody will take it
