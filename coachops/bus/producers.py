"""RPC requests and answers published on producers kept between calls (issue 23, lever 6).

nameko's ``Publisher`` makes a kombu ``Connection`` object for every message, looks its pool
up by hashing it, takes a producer from kombu's pool, binds it to the connection's channel
again and unbinds it after: about a quarter of what publishing one RPC request cost the
gateway's Python (``bench/README.md``, "Issue 23, lever 6"). Here each process keeps its
producers, one AMQP connection each (as kombu's pool kept them), ready bound: a publisher
takes one that no other green thread is using, publishes, and puts it back.

What is sent is what nameko sends: the same properties, and a publisher confirm for each
request and each answer. The confirm is kept: it is how an RPC to a service whose queue
does not exist is refused at once (``UnknownService``, a 503) instead of waiting for the
answer's timeout, and a connection lost under a publish is retried (kombu's ``ensure``, as
nameko's publisher does), not taken for sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu import Connection, Producer
from kombu.exceptions import ChannelError
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import DEFAULT_TRANSPORT_OPTIONS
from nameko.rpc import MethodProxy, Responder, ServiceProxy

PoolKey = tuple[str, bool, Any, Any]


class KeptProducers:
    """The idle producers of one broker and confirm mode. A producer is used by one green
    thread at a time; there are as many as were ever publishing at once (the workers)."""

    def __init__(self, amqp_uri: str, confirms: bool, ssl: Any, login_method: Any) -> None:
        self.amqp_uri, self.confirms = amqp_uri, confirms
        self.ssl, self.login_method = ssl, login_method
        self.idle: list[Producer] = []

    def _new(self) -> Producer:
        options = {**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": self.confirms}
        connection = Connection(self.amqp_uri, transport_options=options, ssl=self.ssl,
                                login_method=self.login_method)
        return Producer(connection)

    @contextmanager
    def producer(self) -> Iterator[Producer]:
        producer = self.idle.pop() if self.idle else self._new()
        try:
            yield producer
        except BaseException:
            # It may be half way through a frame or a confirm: not for the next message.
            producer.connection.release()
            raise
        self.idle.append(producer)


_KEPT: dict[PoolKey, KeptProducers] = {}


def kept_producers(amqp_uri: str, confirms: bool, ssl: Any, login_method: Any) -> KeptProducers:
    key = (amqp_uri, confirms, repr(ssl), login_method)
    kept = _KEPT.get(key)
    if kept is None:
        kept = _KEPT[key] = KeptProducers(amqp_uri, confirms, ssl, login_method)
    return kept


class KeptPublisher(Publisher):  # type: ignore[misc]  # nameko is untyped
    """nameko's ``Publisher`` (the same options and defaults), on kept producers."""

    def publish(self, payload: Any, **kwargs: Any) -> None:
        publish_kwargs = self.publish_kwargs.copy()
        headers = publish_kwargs.pop("headers", {}).copy()
        headers.update(kwargs.pop("headers", {}))
        headers.update(kwargs.pop("extra_headers", {}))  # "extra" headers win, as nameko's
        confirms = kwargs.pop("use_confirms", self.use_confirms)
        options = {
            "delivery_mode": kwargs.pop("delivery_mode", self.delivery_mode),
            "mandatory": kwargs.pop("mandatory", self.mandatory),
            "priority": kwargs.pop("priority", self.priority),
            "expiration": kwargs.pop("expiration", self.expiration),
            "serializer": kwargs.pop("serializer", self.serializer),
            "compression": kwargs.pop("compression", self.compression),
            "retry": kwargs.pop("retry", self.retry),
            "retry_policy": kwargs.pop("retry_policy", self.retry_policy),
            "declare": [*self.declare, *kwargs.pop("declare", ())],
        }
        publish_kwargs.update(kwargs)  # remaining publish-time kwargs win
        kept = kept_producers(self.amqp_uri, confirms, self.ssl, self.login_method)
        with kept.producer() as producer:
            try:
                producer.publish(payload, headers=headers, **options, **publish_kwargs)
            except ChannelError as exc:
                if "NO_ROUTE" in str(exc):
                    raise UndeliverableMessage() from None
                raise


class KeptResponder(Responder):  # type: ignore[misc]  # an RPC's answer, as nameko sends it
    publisher_cls = KeptPublisher


class KeptMethodProxy(MethodProxy):  # type: ignore[misc]  # nameko is untyped
    publisher_cls = KeptPublisher


class KeptServiceProxy(ServiceProxy):  # type: ignore[misc]  # nameko is untyped
    def __getattr__(self, name: str) -> KeptMethodProxy:
        return KeptMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener,
                               **self.options)
