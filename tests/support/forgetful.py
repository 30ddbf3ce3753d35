"""A service whose RPC consumer can be made forgotten by RabbitMQ, for
``tests/integration/bus/test_consumer_watch.py`` (run as a process: nameko needs eventlet's
patched sockets, which the test process does not have).

``forget_me`` cancels the service's own consumer at the broker on its channel, behind
nameko's back: the connection stays open and looks healthy, the queue has no consumer, and
requests wait unanswered, as was seen after a RabbitMQ cluster lost a node.
"""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from coachops.rpc import Rpc, rpc

QUEUE = "rpc-forgetful"


class Cancel(DependencyProvider):
    def get_dependency(self, worker_ctx: Any) -> Any:
        def cancel() -> None:
            (entrypoint,) = [e for e in self.container.entrypoints if isinstance(e, Rpc)
                             and e.method_name == "ping"]
            queue_consumer = entrypoint.rpc_consumer.queue_consumer
            (consumer,) = [consumer for provider, consumer in queue_consumer._consumers.items()
                           if provider.queue.name == QUEUE]
            (tag,) = consumer._active_tags.values()
            consumer.channel.basic_cancel(tag, nowait=True)
        return cancel


class Forgetful:
    name = "forgetful"
    cancel = Cancel()

    @rpc
    def ping(self) -> str:
        return "pong"

    @rpc
    def forget_me(self) -> None:
        self.cancel()
