"""Integration-event contracts: the only shapes that cross the bus.

Every event is a marshmallow schema registered under a name and a version
(``@contract("CycleStarted", 1)``), wrapped in one :class:`Envelope`. Publishing goes
through :func:`encode` and consuming through :func:`decode`, so a malformed event or one
of a version this process does not know is rejected whole, with a reason, never half-read.
``decode`` reads the form the relay publishes with msgspec (``coachops.contracts.wire``)
and leaves anything else to the marshmallow contracts, which decide as they always did.

Contracts carry ids, dates, counts and categories: never names, notes, goal text or
observation data (coaching is confidential; see ``tests/unit/test_contracts_privacy.py``).
"""

from coachops.contracts.envelope import (
    ContractError,
    Envelope,
    Outgoing,
    contract,
    encode,
    registered,
)
from coachops.contracts.wire import decode, json_payload

# Importing the modules registers their contracts.
from coachops.contracts import agreements, cycles, timetracking  # noqa: F401  isort: skip

__all__ = [
    "ContractError",
    "Envelope",
    "Outgoing",
    "contract",
    "decode",
    "encode",
    "json_payload",
    "registered",
]
