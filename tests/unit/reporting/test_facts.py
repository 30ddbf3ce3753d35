"""The folds that make a fact from its events: corrections, voids, revisions and any
arrival order come out right because a fact is always the fold of all its events sorted."""

from __future__ import annotations

import itertools
import uuid

from services.reporting import facts

COACH, SCHOOL, OTHER_SCHOOL = (str(uuid.uuid4()) for _ in range(3))


def entry(event_type: str = "TimeEntryRecorded", **changes: object) -> tuple[str, dict]:
    values = {"entry_id": "e1", "coach_id": COACH, "school_id": SCHOOL,
              "worked_on": "2025-09-05", "minutes": 60, "category_id": "co-planning",
              "category_kind": "coaching", "cycle_id": None, "focus_area_id": "fa-1"}
    return event_type, {**values, **changes}


def test_a_correction_replaces_every_value_of_the_entry() -> None:
    fact = facts.fold_time_entry([
        entry(),
        entry("TimeEntryCorrected", minutes=45, worked_on="2025-09-06", school_id=OTHER_SCHOOL),
    ])
    assert fact is not None
    assert (fact.minutes, fact.worked_on, fact.school_id) == (45, "2025-09-06", OTHER_SCHOOL)


def test_a_voided_entry_counts_for_nothing_even_if_corrected_after() -> None:
    void = ("TimeEntryVoided", {"entry_id": "e1", "coach_id": COACH, "worked_on": "2025-09-05"})
    assert facts.fold_time_entry([entry(), void]) is None
    assert facts.fold_time_entry([entry(), void, entry("TimeEntryCorrected")]) is None


def test_an_entry_whose_recording_was_not_received_yet_has_its_correction_values() -> None:
    fact = facts.fold_time_entry([entry("TimeEntryCorrected", minutes=30)])
    assert fact is not None and fact.minutes == 30


def cycle_events() -> list[tuple[str, dict]]:
    common = {"cycle_id": "k1", "coach_id": COACH, "school_id": SCHOOL}
    return [
        ("CycleProposed", {**common, "teacher_count": 2, "focus_area_ids": ["fa-1"],
                           "phase": "plan", "proposed_by": "coach", "proposed_on": "2025-09-01"}),
        ("CycleStarted", {**common, "teacher_ids": ["t1", "t2"], "focus_area_ids": ["fa-1"],
                          "phase": "plan", "started_on": "2025-09-02"}),
        ("CyclePhaseChanged", {**common, "from_phase": "plan", "to_phase": "act",
                               "cause": "observation", "changed_on": "2025-09-03"}),
        ("NextStepAdded", {**common, "step_id": "s1", "owner_role": "teacher",
                           "complete_count": 0, "total_count": 2, "due_on": "2025-09-10"}),
        ("NextStepCompleted", {**common, "step_id": "s1", "owner_role": "teacher",
                               "complete_count": 1, "total_count": 2,
                               "completed_on": "2025-09-09"}),
        ("GoalRevised", {**common, "focus_area_ids": ["fa-2"], "revised_on": "2025-09-11"}),
        ("CycleClosed", {**common, "outcome": "met", "closed_on": "2025-10-01",
                         "phase": "reflect", "focus_area_ids": ["fa-2"]}),
    ]


def test_a_cycle_fact_follows_its_events() -> None:
    fact = facts.fold_cycle("k1", cycle_events())
    assert fact is not None
    assert fact.status == "closed" and fact.outcome == "met" and fact.closed_on == "2025-10-01"
    assert fact.teacher_ids == ("t1", "t2") and fact.started_on == "2025-09-02"
    assert fact.focus_area_ids == ("fa-2",)
    assert (fact.next_steps_complete, fact.next_steps_total) == (1, 2)


def test_a_reopened_cycle_is_active_again_and_a_declined_one_never_started() -> None:
    common = {"cycle_id": "k1", "coach_id": COACH, "school_id": SCHOOL}
    reopened = ("CycleReopened", {**common, "reopened_on": "2025-10-05", "phase": "act",
                                  "focus_area_ids": ["fa-2"]})
    fact = facts.fold_cycle("k1", [*cycle_events(), reopened])
    assert fact is not None and fact.status == "active" and fact.closed_on is None
    assert fact.phase == "act"
    declined = facts.fold_cycle("k1", [cycle_events()[0], ("CycleDeclined", {
        **common, "focus_area_ids": ["fa-1"], "declined_on": "2025-09-02"})])
    assert declined is not None and declined.status == "declined"
    assert declined.started_on is None


def agreement(event_type: str, version: int, focus: list[str], **more: object) -> tuple[str, dict]:
    return event_type, {"agreement_id": "a1", "coach_id": COACH, "school_id": SCHOOL,
                        "school_year": 2025, "version": version, "focus_area_ids": focus,
                        **more}


def test_a_revision_is_a_new_version_in_force_once_both_signed() -> None:
    events = [
        agreement("CoachingAgreementDrafted", 1, ["fa-1"], check_in_every_weeks=6),
        agreement("CoachingAgreementSigned", 1, ["fa-1"], signed_by="coach", in_force=False,
                  effective_on="2025-08-20"),
        agreement("CoachingAgreementSigned", 1, ["fa-1"], signed_by="principal",
                  in_force=True, effective_on="2025-08-20"),
        agreement("CoachingAgreementRevised", 2, ["fa-2"], check_in_every_weeks=4),
        agreement("CoachingAgreementSigned", 2, ["fa-2"], signed_by="coach", in_force=False,
                  effective_on="2025-11-01"),
        ("CheckInRecorded", {"agreement_id": "a1", "coach_id": COACH, "school_id": SCHOOL,
                             "held_on": "2025-09-30", "next_due_on": "2025-11-15",
                             "focus_areas_revised": False}),
    ]
    versions, check_ins = facts.fold_agreement(events)
    assert versions[1].in_force and versions[1].effective_on == "2025-08-20"
    assert not versions[2].in_force  # only the coach has signed the revision
    assert versions[2].check_in_every_weeks == 4 and versions[2].focus_area_ids == ("fa-2",)
    assert check_ins == [facts.CheckIn("a1", "2025-09-30", "2025-11-15")]
    # Whatever order the signatures arrive in, once both are there the version is in force.
    for order in itertools.permutations(events[:3]):
        versions, _ = facts.fold_agreement(list(order))
        assert versions[1].in_force and versions[1].check_in_every_weeks == 6


def test_every_event_of_every_contract_of_the_three_sources_is_consumed() -> None:
    from coachops.contracts import registered

    consumed = {t for types in facts.CONSUMED.values() for t in types}
    assert consumed == {name for (name, _version) in registered()}


def test_time_facts_are_stored_with_a_column_for_every_field() -> None:
    import dataclasses

    from services.reporting import projections

    fields = tuple(f.name for f in dataclasses.fields(facts.TimeFact))
    assert fields == projections.TIME_COLUMNS
