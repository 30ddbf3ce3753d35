"""Forgetting in an append-only store: personal data sealed with keys that can be destroyed.

Events are never rewritten, so what is personal in them (names, emails, notes, observation
data) is stored encrypted, each value with the key of the person or the cycle it is about,
and the keys are kept apart from the events in the same database (``keys``). Forgetting a
person destroys their keys: every old event, every copy of the events table and every
backup taken before then still holds the ciphertext, and nothing can open it once the keys
are gone. Aggregates still load, with ``ERASED`` in place of what was sealed, so the counts
and dates built from them stand.

A domain module says what is personal (``Personal``, pure data); the store's mapper
(``sealing``) seals and opens it. Each service keeps a register of the people it has
forgotten; ``python -m coachops.privacy.reapply`` re-applies the others' registers after a
database is restored from a backup taken before an erasure.
"""

from coachops.privacy.personal import ERASED, Personal

__all__ = ["ERASED", "Personal"]
