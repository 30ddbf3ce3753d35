"""When a queue consumer judges that RabbitMQ has forgotten it (``coachops.bus.watch``)."""

from __future__ import annotations

from coachops.bus.watch import ConsumerWatch, QueueState

WAITING = QueueState(ready=12, consumers=1)
EMPTY = QueueState(ready=0, consumers=1)
NO_CONSUMER = QueueState(ready=0, consumers=0)


def test_messages_waiting_while_this_consumer_is_given_none_twice_running() -> None:
    watch = ConsumerWatch()
    assert watch.check({"q": WAITING}) == []  # once may be a message on its way
    assert watch.check({"q": WAITING}) == ["q"]


def test_a_queue_without_consumers_is_forgotten_even_when_empty() -> None:
    watch = ConsumerWatch()
    assert watch.check({"q": NO_CONSUMER}) == []
    assert watch.check({"q": NO_CONSUMER}) == ["q"]


def test_a_delivery_between_checks_clears_the_suspicion() -> None:
    watch = ConsumerWatch()
    assert watch.check({"q": WAITING}) == []
    watch.delivered("q")
    watch.settled("q")
    assert watch.check({"q": WAITING}) == []
    assert watch.check({"q": WAITING}) == []  # suspected again from scratch
    assert watch.check({"q": WAITING}) == ["q"]


def test_a_consumer_holding_messages_is_busy_not_forgotten() -> None:
    """All its workers busy: the broker rightly delivers nothing more until one is free."""
    watch = ConsumerWatch()
    watch.delivered("q")
    for _ in range(5):
        assert watch.check({"q": WAITING}) == []
    watch.settled("q")
    assert watch.check({"q": WAITING}) == []  # held during this window
    assert watch.check({"q": WAITING}) == []
    assert watch.check({"q": WAITING}) == ["q"]


def test_an_empty_queue_with_its_consumer_is_fine() -> None:
    watch = ConsumerWatch()
    for _ in range(5):
        assert watch.check({"q": EMPTY}) == []


def test_each_queue_is_judged_alone() -> None:
    watch = ConsumerWatch()
    for _ in range(2):
        watch.delivered("busy")
        watch.settled("busy")
        found = watch.check({"busy": WAITING, "stuck": WAITING})
    assert found == ["stuck"]


def test_a_new_connection_starts_afresh() -> None:
    watch = ConsumerWatch()
    watch.delivered("q")
    assert watch.check({"q": WAITING}) == []
    watch.reconnected()  # what the old connection held, the broker gives out again
    assert watch.check({"q": WAITING}) == []
    assert watch.check({"q": WAITING}) == ["q"]
