"""What is in effect on a date (``coachops.dated``): the roster's own histories, set in
order, and the copies other services learn from the bus in any order."""

from __future__ import annotations

from datetime import date
from itertools import permutations
from uuid import UUID

from coachops.dated import Assignments, History, LearnedAssignments, in_effect

AUG_1, SEP_1, OCT_1 = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
SCHOOL, OTHER_SCHOOL = UUID(int=1), UUID(int=2)
COACH, SECOND_COACH = UUID(int=11), UUID(int=12)


def test_the_latest_change_on_or_before_the_day_is_in_effect() -> None:
    changes = [(AUG_1, "a"), (SEP_1, "b")]
    assert in_effect(changes, date(2026, 7, 31)) is None
    assert in_effect(changes, AUG_1) == "a"
    assert in_effect(changes, date(2026, 8, 31)) == "a"
    assert in_effect(changes, SEP_1) == "b"
    assert in_effect([(AUG_1, "a"), (AUG_1, "b")], AUG_1) == "b"


def test_a_history_keeps_one_value_a_date_the_one_set_last() -> None:
    principal = History[str]()
    principal.set(SEP_1, "second")
    principal.set(AUG_1, "first")  # an earlier date filled in later
    assert principal.on(AUG_1) == "first"
    assert principal.on(OCT_1) == "second"
    principal.set(SEP_1, "corrected")
    assert principal.changes == [(AUG_1, "first"), (SEP_1, "corrected")]
    assert principal.latest() == "corrected"
    assert History[str]().latest() is None


def test_assignments_say_who_is_assigned_on_a_day_and_now() -> None:
    coaches = Assignments[UUID]()
    coaches.change(SECOND_COACH, AUG_1, True)
    coaches.change(COACH, AUG_1, True)
    coaches.change(COACH, SEP_1, False)
    assert coaches.on(COACH, AUG_1) and not coaches.on(COACH, SEP_1)
    assert not coaches.on(UUID(int=99), AUG_1)
    assert coaches.everyone_on(AUG_1) == [COACH, SECOND_COACH]  # in the order of their ids
    assert coaches.everyone_on(OCT_1) == [SECOND_COACH]
    assert coaches.current() == {SECOND_COACH}


def test_learned_facts_give_one_answer_whatever_order_they_arrive_in() -> None:
    facts = [(SCHOOL, AUG_1, True), (SCHOOL, SEP_1, False), (SCHOOL, SEP_1, True),
             (OTHER_SCHOOL, AUG_1, False)]
    answers = set()
    for order in permutations(facts):
        learned = LearnedAssignments[UUID]()
        for fact in order:
            if not learned.knows(*fact):
                learned.learn(*fact)
        answers.add(tuple(learned.on(school, day) for school in (SCHOOL, OTHER_SCHOOL)
                          for day in (date(2026, 7, 31), AUG_1, SEP_1, OCT_1)))
    # On 1 September the school both ended and took up the assignment: assigned counts.
    assert answers == {(False, True, True, True, False, False, False, False)}


def test_a_learned_fact_is_kept_once() -> None:
    learned = LearnedAssignments[tuple[UUID, str]]()
    learned.learn((SCHOOL, "coach"), AUG_1, True)
    assert learned.knows((SCHOOL, "coach"), AUG_1, True)
    assert not learned.knows((SCHOOL, "teacher"), AUG_1, True)
    assert len(learned) == 1
