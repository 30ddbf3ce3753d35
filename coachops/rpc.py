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

from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer as NamekoRpcConsumer
from nameko.rpc import RpcProxy as NamekoRpcProxy
from nameko.rpc import get_rpc_exchange

from coachops.bus.producers import KeptResponder, KeptServiceProxy
from coachops.bus.queues import typed
from coachops.bus.tolerant import BROKER_GONE, TolerantQueueConsumer, TolerantReplyListener

log = logging.getLogger(__name__)

REQUEST_ID = "rpc_request_id"  # in the worker's context data


class RpcConsumer(NamekoRpcConsumer):
    """nameko's, with ``rpc-<service>`` of the configured queue type (``AMQP_QUEUE_TYPE``),
    consumed by a consumer that outlives the broker's restart or a node's loss."""

    queue_consumer = TolerantQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.queue = typed(self.queue)  # type: ignore[has-type]  # nameko's (untyped)

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        """nameko's, with the answer published on a kept producer (``KeptResponder``)."""
        config = self.container.config
        responder = KeptResponder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


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
    """nameko's, with its answers in a reply queue that survives a cluster's lost node, and
    its requests published on producers kept between calls (``coachops.bus.producers``)."""

    rpc_reply_listener = TolerantReplyListener()

    def get_dependency(self, worker_ctx: Any) -> KeptServiceProxy:
        return KeptServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                                **self.options)
