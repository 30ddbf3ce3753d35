"""What a service's relay would publish from its store, without a broker: the relay's own
path (notification -> domain event -> translator -> envelope -> JSON and back)."""

from __future__ import annotations

import json
from typing import Any

from coachops.application import ServiceApplication
from coachops.bus.relay import Translator, to_envelopes
from coachops.contracts import Envelope, decode, encode


def relayed(source: str, app: ServiceApplication,
            translate: Translator) -> list[tuple[Envelope, dict[str, Any]]]:
    notifications = app.recorder.select_notifications(start=1, limit=100_000)
    envelopes, _ = to_envelopes(source, app, translate, notifications, None)
    out = []
    for envelope in envelopes:
        body = json.loads(json.dumps(encode(envelope)))
        out.append((decode(body), body))
    return out
