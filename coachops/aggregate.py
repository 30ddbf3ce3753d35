"""The base of every service's aggregates: eventsourcing's ``Aggregate``, itself.

``@event("Started")`` on a method makes the event class ``Cycle.Started`` as the class is
defined, where mypy cannot see it. For mypy alone, the event classes an aggregate's methods
make are read as ``type[Any]`` (their attributes are the methods' parameters), so no
aggregate has to declare them; at run time nothing differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate as _Aggregate

if TYPE_CHECKING:
    from eventsourcing.domain import MetaAggregate

    class _MadeEvents(MetaAggregate[Any]):
        def __getattr__(cls, name: str) -> type[Any]: ...

    class Aggregate(_Aggregate, metaclass=_MadeEvents):
        pass

else:
    Aggregate = _Aggregate

__all__ = ["Aggregate"]
