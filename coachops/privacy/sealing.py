"""The store's mapper, sealing what the domain declared personal and opening it again.

Each personal text is encrypted on its own with AES-GCM (the eventsourcing
library's ``AESCipher``, on pycryptodome) under its subject's key, and stored in the event
as ``Sealed`` (the subject's id beside the ciphertext, so it can be opened without knowing
the event). The rest of the event stays as it was: positions, ids, dates and counts are
what the other services and the reports are built from, and they remain readable.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.cipher import AESCipher
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder, Transcoding
from eventsourcing.utils import Environment, resolve_topic

from coachops.privacy.keys import Keys
from coachops.privacy.personal import ERASED, Personal

# A sealed value's subject as ``SealedAsDict`` and the transcoder write it in a stored state.
SEALED_BY = re.compile(rb'"_type_":"sealed","_data_":\{"by":"([0-9a-f-]{36})"')


@dataclass(frozen=True)
class Sealed:
    """A personal text as stored: ``ciphertext`` is None when it was written after its
    subject was erased (nothing is kept then)."""

    subject: UUID
    ciphertext: bytes | None


class SealedAsDict(Transcoding):
    type = Sealed
    name = "sealed"

    def encode(self, obj: Sealed) -> dict[str, Any]:
        return {"by": str(obj.subject), "ct": None if obj.ciphertext is None
                else base64.b64encode(obj.ciphertext).decode("ascii")}

    def decode(self, data: dict[str, Any]) -> Sealed:
        ct = data["ct"]
        return Sealed(UUID(data["by"]), None if ct is None else base64.b64decode(ct))


def _texts(value: Any, change: Callable[[Any], Any]) -> Any:
    """``value`` with each text in it changed, however deep in lists and mappings. Only
    texts are sealed: a list keeps its length and a row its numbers, so what is counted
    from them (a cycle's norms, the look-fors of an observation) stays as it was."""
    if isinstance(value, (str, Sealed)):
        return change(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_texts(v, change) for v in value)
    if isinstance(value, Mapping):
        return {k: _texts(v, change) for k, v in value.items()}
    return value


def _get(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


def _replaced(obj: Any, name: str, value: Any) -> Any:
    """``obj`` with ``name`` set to ``value``: a copy, so the domain's objects are not
    changed by being stored."""
    if isinstance(obj, Mapping):
        return {**obj, name: value}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{name: value})
    raise TypeError(f"cannot reach {name!r} in {type(obj).__qualname__}")


def _at(state: dict[str, Any], path: str, change: Any) -> None:
    """Replace the value at ``path`` in ``state`` by ``change(value)``, in place at the top
    and by copies below it (``None`` anywhere on the way is left alone)."""
    head, *rest = path.split(".")

    def walk(obj: Any, names: list[str]) -> Any:
        if obj is None:
            return None
        if not names:
            return change(obj)
        value = _get(obj, names[0])
        inner = walk(value, names[1:])
        # Nothing to seal there (a note left empty, most often): no copy to make.
        return obj if inner is value else _replaced(obj, names[0], inner)

    if head in state:
        state[head] = walk(state[head], rest)


class SealingMapper(Mapper[UUID]):
    def __init__(self, transcoder: Transcoder, keys: Keys,
                 personal: Mapping[type, Personal]) -> None:
        super().__init__(transcoder)
        self.keys = keys
        self.personal = {cls: declared for cls, declared in personal.items()}
        self._ciphers: dict[bytes, AESCipher] = {}

    def _declared(self, cls: type) -> Personal | None:
        for klass in cls.__mro__:  # an event subclass keeps what its base declared
            if klass in self.personal:
                return self.personal[klass]
        return None

    def _cipher(self, key: bytes) -> AESCipher:
        cipher = self._ciphers.get(key)
        if cipher is None:
            env = Environment(env={AESCipher.CIPHER_KEY: base64.b64encode(key).decode()})
            cipher = self._ciphers[key] = AESCipher(env)
        return cipher

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        declared = self._declared(type(domain_event))
        if declared is None:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        subject = UUID(str(state[declared.subject] if declared.subject
                           else state["originator_id"]))

        def seal(text: str) -> Sealed:
            key = self.keys.key(subject, create=True)
            if key is None:  # the subject is forgotten: keep nothing of it
                return Sealed(subject, None)
            return Sealed(subject, self._cipher(key).encrypt(text.encode("utf-8")))

        for path in declared.paths:
            _at(state, path, lambda value: _texts(value, seal))
        sealed_event = object.__new__(type(domain_event))
        object.__setattr__(sealed_event, "__dict__", state)
        return super().to_stored_event(sealed_event)

    def warm(self, stored_events: Iterable[StoredEvent]) -> None:
        """Read at once the keys that opening ``stored_events`` will need."""
        self.keys.warm(UUID(subject.decode("ascii")) for stored in stored_events
                       for subject in SEALED_BY.findall(stored.state))

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event = super().to_domain_event(stored_event)
        declared = self._declared(resolve_topic(stored_event.topic))
        if declared is None:
            return domain_event

        def open_(sealed: Any) -> Any:
            if not isinstance(sealed, Sealed):
                return sealed  # stored before this value was declared personal
            key = None if sealed.ciphertext is None else self.keys.key(sealed.subject,
                                                                        create=False)
            if key is None or sealed.ciphertext is None:
                return ERASED
            return self._cipher(key).decrypt(sealed.ciphertext).decode("utf-8")

        state = domain_event.__dict__
        for path in declared.paths:
            _at(state, path, lambda value: _texts(value, open_))
        return domain_event


def warm_keys(mapper: Mapper[UUID], stored_events: Iterable[StoredEvent]) -> None:
    """Read at once the keys that opening ``stored_events`` will need, when ``mapper`` seals."""
    if isinstance(mapper, SealingMapper):
        mapper.warm(stored_events)
