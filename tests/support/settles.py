"""Where a consumer's handler acknowledges or requeues a message (nameko's queue consumer,
in a worker): recorded in order, for unit tests of the handler alone."""

from __future__ import annotations


class Settles:
    def __init__(self) -> None:
        self.done: list[str] = []

    def ack_message(self, message: object) -> None:
        self.done.append("acked")

    def requeue_message(self, message: object) -> None:
        self.done.append("requeued")
