"""nameko's RPC entrypoint, telling each worker which request it serves, and riding out
a broker that went away while it worked.

A request's correlation id is its own (a caller may send several from one worker) and
stays the same when RabbitMQ redelivers the request after a worker died holding it, so a
command can be keyed on it (``coachops.dependencies.DeliveredOnce``).

When the answer cannot be sent because RabbitMQ is gone (restarting, say), nameko would
let the error end the whole service. The request was not acknowledged, so RabbitMQ hands
it out again once the consumer reconnects, and its command is answered from what was
stored: the worker logs that and the service lives on.

Its queue, ``rpc-<service>``, is of the configured type (``coachops.bus.queues``).
"""

from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer as NamekoRpcConsumer
from nameko.rpc import RpcProxy as NamekoRpcProxy

from coachops.bus.queues import typed
from coachops.bus.tolerant import BROKER_GONE, TolerantReplyListener

log = logging.getLogger(__name__)

REQUEST_ID = "rpc_request_id"  # in the worker's context data


class RpcConsumer(NamekoRpcConsumer):
    """nameko's, with ``rpc-<service>`` of the configured queue type (``AMQP_QUEUE_TYPE``)."""

    def setup(self) -> None:
        super().setup()
        self.queue = typed(self.queue)  # type: ignore[has-type]  # nameko's (untyped)


class Rpc(NamekoRpc):
    rpc_consumer = RpcConsumer()

    def unpack_message_headers(self, message: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().unpack_message_headers(message)
        context[REQUEST_ID] = message.properties.get("correlation_id")
        return context

    def handle_result(self, message: Any, worker_ctx: Any, result: Any,
                      exc_info: Any) -> tuple[Any, Any]:
        try:
            answered: tuple[Any, Any] = super().handle_result(message, worker_ctx, result,
                                                              exc_info)
            return answered
        except BROKER_GONE as error:
            log.warning("could not answer %s, the broker is unreachable (%s): the request"
                        " will be delivered again", worker_ctx, error)
            return result, exc_info


rpc = Rpc.decorator


class RpcProxy(NamekoRpcProxy):
    """nameko's, with its answers in a reply queue that survives a cluster's lost node."""

    rpc_reply_listener = TolerantReplyListener()
