"""The entrypoints every service has, written once. A service's nameko class inherits the
ones it needs and declares only its own: nameko collects the entrypoints and dependencies
of base classes as well as the class's own (``inspect.getmembers``), under the same method
names, so a consumer's queue and an RPC method's name do not change with where they are
written. A service module names them by this module (``entrypoints.Ready``), never imports
them: ``nameko run <module>`` starts every class with entrypoints that the module has.

- ``Ready``: ``ping``, which the gateway's ``/readyz`` asks of every service, and the
  service's ``/metrics``.
- ``Publishing``: the notification log of the service's ``EventSourcedApp`` read back
  (``published_events``, ``last_published_position``), for a consumer that missed events
  on the bus or that reads them all (reporting's gap check and its rebuild).
- ``Erasure``: forgetting a person (``coachops.privacy``), asked again of every service by
  ``python -m coachops.privacy.reapply`` after a database is restored from a backup
  (``erase_person``, ``erased_people``), on the service's ``EventSourcedApp``;
  a service whose forgetting is more than destroying keys says how (``_erase``).
  ``ToldToForget`` adds the consumer of the roster's ``PersonForgotten``.
- ``queued``: the single entrypoint of a command a coach's app may also queue offline.

An event-sourced service keeps one ``EventSourcedApp``: these find it by its type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from marshmallow import Schema
from nameko.extensions import DependencyProvider

from coachops.bus.consumer import integration_event_handler
from coachops.commands import load
from coachops.contracts import Envelope
from coachops.dependencies import EventSourcedApp, NotificationLog, PublishedEvents, Readiness
from coachops.identity import Actor
from coachops.json import Json
from coachops.logs import RequestIds
from coachops.metrics import MetricsServer
from coachops.rpc import rpc
from coachops.unit_of_work import Answer, Once, UnitOfWork

# The most events one ``published_events`` call answers, whatever the caller asks.
MOST_PUBLISHED = 1000


class Ready:
    metrics = MetricsServer()
    request_ids = RequestIds()  # each worker's log lines carry its request's id
    ready = Readiness()

    @rpc
    def ping(self) -> str:
        return "pong" if self.ready() else "starting"


class Keeper(Protocol):
    """A service's application, as far as forgetting a person goes
    (``coachops.application.ServiceApplication``)."""

    def erase_person(self, person_id: UUID) -> int: ...

    def erased_people(self) -> list[UUID]: ...


def app_of(container: Any) -> EventSourcedApp:
    [app] = [d for d in container.dependencies if isinstance(d, EventSourcedApp)]
    return app


class AppPublished(PublishedEvents):
    """``PublishedEvents`` of the service's ``EventSourcedApp``, whatever its attribute."""

    def __init__(self) -> None:
        super().__init__(app="")

    def setup(self) -> None:
        self.app = app_of(self.container).attr_name


class Kept(DependencyProvider):
    """The service's ``EventSourcedApp``'s application: what it keeps about people."""

    def get_dependency(self, worker_ctx: Any) -> Keeper:
        kept: Keeper = app_of(self.container).get_dependency(worker_ctx)
        return kept


class Publishing:
    published: NotificationLog = AppPublished()

    @rpc
    def published_events(self, start: int, limit: int = 100) -> list[Json]:
        """What this service published from position ``start`` on (a consumer's gap)."""
        return self.published.events(int(start), min(int(limit), MOST_PUBLISHED))

    @rpc
    def last_published_position(self) -> int:
        """Where this service's published events end, for a consumer that may have missed
        the last ones, or that reads them all."""
        return self.published.last_published()


class Erasure:
    kept: Keeper = Kept()

    def _erase(self, person_id: UUID) -> int:
        """Forget a person here: by default, destroy their keys."""
        return self.kept.erase_person(person_id)

    @rpc
    def erase_person(self, person_id: str) -> int:
        return self._erase(UUID(person_id))

    @rpc
    def erased_people(self) -> list[str]:
        return [str(p) for p in self.kept.erased_people()]


class ToldToForget(Erasure):
    """A service that hears from the roster (agreements) whom to forget."""

    @integration_event_handler("agreements", "PersonForgotten")
    def on_person_forgotten(self, event: Envelope) -> None:
        self._erase(event.payload["person_id"])


# A command's handler as a service writes it, ``_<command>(self, actor, data, once, unit)``:
# ``sync`` calls it for each item of a batch, in the batch's unit of work.
Handler = Callable[[Any, Actor, Json, Once | None, UnitOfWork | None], Answer[Json]]


def deciding(name: str, app: str, decide: str, arguments: Callable[[Json], tuple[Any, ...]],
             answer: Callable[[Answer[Any]], Answer[Json]]) -> Handler:
    """The handler ``_<name>`` of a command its application decides in one call,
    ``self.<app>.<decide>(actor, *arguments(data), once=once, unit=unit)``, answered as
    ``answer`` shows what it decided. ``arguments`` runs at each call, so a
    ``clock.today()`` in it is the command's day."""

    def handler(self: Any, actor: Actor, data: Json, once: Once | None = None,
                unit: UnitOfWork | None = None) -> Answer[Json]:
        decided: Answer[Any] = getattr(getattr(self, app), decide)(
            actor, *arguments(data), once=once, unit=unit)
        return answer(decided)

    handler.__name__ = handler.__qualname__ = f"_{name}"
    return handler


def queued(handler: Handler, schema: type[Schema]) -> Callable[..., Json]:
    """The single entrypoint of a command a coach's app may also queue offline: the command
    checked against ``schema``, then its handler in a unit of work of its own, applied once
    however often RabbitMQ delivers the request (the service's ``DeliveredOnce`` as
    ``once``)."""
    name = handler.__name__.removeprefix("_")

    def entrypoint(self: Any, actor: Json, command: Json) -> Json:
        sender, data = Actor.from_dict(actor), load(schema, command)
        return handler(self, sender, data, self.once(actor, name), None).result

    entrypoint.__name__ = entrypoint.__qualname__ = name
    entrypoint.__doc__ = handler.__doc__
    made: Callable[..., Json] = rpc(entrypoint)
    return made
