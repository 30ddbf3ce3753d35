"""One unit of work (``coachops.unit_of_work``): an identity map over what the unit changed,
what it read ahead and the repository; one commit; decided again when it loses a race.
On the library's in-memory persistence, no infrastructure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, OperationalError

from coachops.application import ServiceApplication
from coachops.errors import Conflict, NotFound
from coachops.unit_of_work import ATTEMPTS, NOT_STORED, Answer, UnitOfWork


class Tally(Aggregate):
    def __init__(self) -> None:
        self.count = 0

    @event("Counted")
    def count_one(self) -> None:
        self.count += 1


class Other(Aggregate):
    pass


class Counting(Application[uuid.UUID]):
    """Counts the transactions of its recorder and the reads of its repository."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transactions: list[int] = []
        self.reads: list[uuid.UUID] = []
        insert, get = self.recorder.insert_events, self.repository.get

        def counted_insert(events: Any, **kw: Any) -> Any:
            self.transactions.append(len(events))
            return insert(events, **kw)

        def counted_get(aggregate_id: uuid.UUID, **kw: Any) -> Any:
            self.reads.append(aggregate_id)
            return get(aggregate_id, **kw)

        self.recorder.insert_events = counted_insert  # type: ignore[method-assign]
        self.repository.get = counted_get  # type: ignore[method-assign]


@pytest.fixture
def app() -> Iterator[Counting]:
    application = Counting()
    yield application
    application.close()


def stored_tally(app: Application[uuid.UUID], count: int = 0) -> Tally:
    tally = Tally()
    for _ in range(count):
        tally.count_one()
    app.save(tally)
    return tally


def test_an_aggregate_is_one_object_for_the_whole_unit(app: Counting) -> None:
    tally = stored_tally(app)
    unit = UnitOfWork(app)
    first = unit.get(tally.id, Tally)
    first.count_one()
    assert unit.get(tally.id, Tally) is first  # with its change, not read again
    assert app.reads == [tally.id]
    unit.add(first)
    assert unit.find(tally.id, Tally) is first


def test_a_changed_aggregate_is_found_before_anything_read(app: Counting) -> None:
    tally = stored_tally(app)
    unit = UnitOfWork(app)
    new = Tally()
    unit.add(new)
    assert unit.find(new.id, Tally) is new
    assert app.reads == []  # never asked of the store
    assert unit.find(tally.id, Tally) is not None


def test_what_is_not_stored_is_none_or_not_found_and_is_remembered(app: Counting) -> None:
    unit = UnitOfWork(app)
    missing = uuid.uuid4()
    assert unit.find(missing, Tally) is None
    assert unit.read[missing] is NOT_STORED
    with pytest.raises(NotFound):
        unit.get(missing, Tally)
    with pytest.raises(NotFound) as error:
        unit.get(missing, Tally, NotFound("there is no tally", field="tally_id"))
    assert error.value.field == "tally_id"
    assert app.reads == [missing]  # asked once


def test_an_aggregate_of_another_kind_is_not_found(app: Counting) -> None:
    other = Other()
    app.save(other)
    assert UnitOfWork(app).find(other.id, Tally) is None


def test_a_read_ahead_reads_many_at_once_and_knows_which_are_not_stored(
        app: Counting) -> None:
    one, two = stored_tally(app, 1), stored_tally(app, 2)
    missing = uuid.uuid4()
    unit = UnitOfWork(app)
    unit.read_ahead([one.id, two.id, missing, one.id])
    assert unit.read[missing] is NOT_STORED
    assert [unit.get(i, Tally).count for i in (one.id, two.id)] == [1, 2]
    assert unit.find(missing, Tally) is None
    assert app.reads == []  # every one of them from the read ahead


def test_a_read_ahead_that_fails_leaves_each_to_be_read_when_needed(app: Counting) -> None:
    one, two = stored_tally(app, 1), stored_tally(app, 2)

    def failing(after: Any) -> Any:
        raise OperationalError("the database went away for a moment")

    app.recorder.select_events_after = failing  # type: ignore[attr-defined]
    unit = UnitOfWork(app)
    unit.read_ahead([one.id, two.id])
    assert unit.get(two.id, Tally).count == 2
    assert app.reads == [two.id]


def test_one_commit_saves_everything_changed_in_one_transaction(app: Counting) -> None:
    tally = stored_tally(app)
    app.transactions.clear()
    unit = UnitOfWork(app)
    changed, new = unit.get(tally.id, Tally), Tally()
    changed.count_one()
    new.count_one()
    unit.add(changed, new)
    assert app.transactions == []  # nothing saved before the commit
    unit.commit()
    assert app.transactions == [3]  # the change, the new one's creation and its count
    assert app.repository.get(tally.id).count == 1


def test_pending_counts_what_a_refused_change_left_behind(app: Counting) -> None:
    tally = stored_tally(app)
    unit = UnitOfWork(app)
    assert unit.pending() == 0
    unit.get(tally.id, Tally).count_one()  # changed, never added
    assert unit.pending() == 1


def test_pending_since_mark_is_what_pending_gained_since_then(app: Counting) -> None:
    """Counted on what the unit handed out and took in since the mark, it says what
    counting every aggregate the unit holds would: read, read ahead, found missing, changed
    before the mark and again after, added new, added in place of the one read."""
    changed_before, read, ahead, replaced = (stored_tally(app) for _ in range(4))
    unit = UnitOfWork(app)
    earlier = unit.get(changed_before.id, Tally)
    earlier.count_one()
    unit.add(earlier, Tally())  # changed before the mark: pending, and not looked at again
    untouched = unit.get(read.id, Tally)
    untouched.count_one()  # changed before the mark, never added

    def gained(since: int) -> tuple[int, int]:
        return unit.pending_since_mark(), unit.pending() - since

    unit.mark()
    before = unit.pending()
    assert gained(before) == (0, 0)
    unit.get(changed_before.id, Tally).count_one()
    assert gained(before) == (1, 1)
    unit.read_ahead([ahead.id, uuid.uuid4()])
    unit.get(ahead.id, Tally).count_one()
    assert unit.find(uuid.uuid4(), Tally) is None
    assert gained(before) == (2, 2)
    new = Tally()
    new.count_one()
    unit.add(new)
    assert gained(before) == (4, 4)  # its creation and its count
    unit.get(replaced.id, Tally).count_one()
    assert gained(before) == (5, 5)
    unit.add(app.repository.get(replaced.id))  # another copy: the changed one is not held
    assert gained(before) == (4, 4)

    unit.mark()
    assert unit.pending_since_mark() == 0


def test_a_lost_race_is_decided_again_from_the_store(app: Counting) -> None:
    tally = stored_tally(app)
    raced: list[bool] = []

    def attempt(unit: UnitOfWork) -> int:
        mine = unit.get(tally.id, Tally)
        if not raced:  # another worker saves first
            raced.append(True)
            theirs = app.repository.get(tally.id)
            theirs.count_one()
            app.save(theirs)
        mine.count_one()
        unit.add(mine)
        return mine.count

    assert UnitOfWork(app).run(attempt) == 2
    assert app.repository.get(tally.id).count == 2


def test_a_unit_that_keeps_losing_is_a_conflict_and_saves_nothing(app: Counting) -> None:
    tally = stored_tally(app)
    attempts: list[int] = []

    def attempt(unit: UnitOfWork) -> None:
        attempts.append(1)
        mine = unit.get(tally.id, Tally)
        theirs = app.repository.get(tally.id)
        theirs.count_one()
        app.save(theirs)
        mine.count_one()
        unit.add(mine)

    conflict = Conflict("try again", field="tally_id")
    with pytest.raises(Conflict) as error:
        UnitOfWork(app, conflict).run(attempt)
    assert error.value is conflict
    assert len(attempts) == ATTEMPTS
    assert app.repository.get(tally.id).count == ATTEMPTS  # theirs only


def test_a_checked_unit_is_decided_again_when_what_it_only_read_changed(
        app: Counting) -> None:
    read_only, changed = stored_tally(app), stored_tally(app)
    seen: list[int] = []

    def attempt(unit: UnitOfWork) -> None:
        seen.append(unit.get(read_only.id, Tally).count)
        if len(seen) == 1:
            theirs = app.repository.get(read_only.id)
            theirs.count_one()
            app.save(theirs)
        mine = unit.get(changed.id, Tally)
        mine.count_one()
        unit.add(mine)

    UnitOfWork(app, checked=True).run(attempt)
    assert seen == [0, 1]
    with pytest.raises(IntegrityError):
        unit = UnitOfWork(app, checked=True)
        unit.get(read_only.id, Tally)
        app.save(stored_tally(app))  # unrelated: no effect
        theirs = app.repository.get(read_only.id)
        theirs.count_one()
        app.save(theirs)
        unit.commit()


def test_a_command_answers_whether_it_was_sent_again() -> None:
    assert Answer("x") == Answer("x", duplicate=False)
    assert Answer("x", duplicate=True).duplicate


def test_what_the_repository_keeps_is_brought_up_to_date_and_copied() -> None:
    class Keeping(ServiceApplication):
        kept_between_commands = (Tally,)

    app = Keeping(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        tally, other = stored_tally(app, 1), Other()
        app.save(other)
        first = UnitOfWork(app).get(tally.id, Tally)
        UnitOfWork(app).get(other.id, Other)
        assert app.repository.cache is not None
        assert app.repository.cache.get(tally.id) is not first  # a unit's own copy
        with pytest.raises(KeyError):
            app.repository.cache.get(other.id)  # not a kind kept
        theirs = app.repository.get(tally.id)
        theirs.count_one()
        app.save(theirs)
        unit = UnitOfWork(app)
        unit.read_ahead([tally.id, uuid.uuid4()])
        assert unit.get(tally.id, Tally).count == 2  # brought up to date
        assert UnitOfWork(app).get(tally.id, Tally).count == 2
    finally:
        app.close()
