"""nameko's RPC entrypoint, telling each worker which request it serves.

A request's correlation id is its own (a caller may send several from one worker) and
stays the same when RabbitMQ redelivers the request after a worker died holding it, so a
command can be keyed on it (``coachops.dependencies.DeliveredOnce``).
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import Rpc as NamekoRpc

REQUEST_ID = "rpc_request_id"  # in the worker's context data


class Rpc(NamekoRpc):
    def unpack_message_headers(self, message: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().unpack_message_headers(message)
        context[REQUEST_ID] = message.properties.get("correlation_id")
        return context


rpc = Rpc.decorator
