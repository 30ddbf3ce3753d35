"""Offline sync: a batch of the commands an app (a coach's, a teacher's or a principal's)
queued while it had no network.

Each item names one coach-app command, the id the app gave it (``client_id``) and the
command's body, the same body its single route takes (the ids that route carries in its
URL, such as ``cycle_id``, may sit beside the body or in it). The gateway checks each
item against the command's own schema (``COMMANDS``) and sends each service its items in
batch order, in one call; the service applies them one by one, in that order, in one unit
of work, and answers each as its single route would (``coachops.sync_batch``).

Idempotency lives in the owning service, in the same transaction as the command's events
(``coachops.unit_of_work.Once``).
"""

from __future__ import annotations

from coachops.routes import MAX_SYNC_ITEMS, SYNCED, Route
from coachops.routes import SyncBatch as SyncBatch  # where its users import it from
from coachops.routes import SyncItem as SyncItem

MAX_ITEMS = MAX_SYNC_ITEMS
PATH_IDS = ("cycle_id", "item_id", "step_id", "entry_id", "agreement_id")


# Named as the services' RPC methods are: what a coach does in a classroom, a teacher or a
# principal in their app, offline. Each is its route's row in the route table (its
# service, roles, schema and success status).
COMMANDS: dict[str, Route] = SYNCED
