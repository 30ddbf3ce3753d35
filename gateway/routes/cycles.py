"""Coaching-cycle routes: a coach proposes, a teacher accepts, the coach writes the cycle,
and both read it. Each route: who is calling, the body checked against the command's
schema (a 400 naming the field), one RPC call."""

from __future__ import annotations

from typing import Any

from werkzeug import Request

from coachops.commands.cycles import (
    AcceptCycle,
    AddNextStep,
    AgreeNorms,
    CancelItem,
    CaseloadQuery,
    CloseCycle,
    CompleteNextStep,
    CycleQuery,
    DeclineCycle,
    DropNextStep,
    HoldDebrief,
    LogObservation,
    MarkItemDone,
    MovePhaseBack,
    ReopenCycle,
    RescheduleItem,
    ReviseGoal,
    ScheduleItem,
    StartCycle,
    TeacherCyclesQuery,
    WithdrawFromReporting,
)
from gateway.auth import actor_of
from gateway.http import Backend, http, json_body, optional_json_body
from gateway.routes import validated, with_path

Json = dict[str, Any]



class CycleRoutes:
    cycles = Backend("cycles")

    # Starting: a coach's proposal, or a teacher's start ------------------------------------

    @http("POST", "/cycles")
    def start_cycle(self, request: Request) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(StartCycle, json_body(request))
        return 201, self.cycles.start_cycle(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/accept")
    def accept_cycle(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(AcceptCycle, with_path(optional_json_body(request), cycle_id=cycle_id))
        return self.cycles.accept_cycle(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/decline")
    def decline_cycle(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(DeclineCycle, with_path(optional_json_body(request), cycle_id=cycle_id))
        return self.cycles.decline_cycle(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/withdraw-from-reporting")
    def withdraw_from_reporting(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(WithdrawFromReporting,
                            with_path(optional_json_body(request), cycle_id=cycle_id))
        return self.cycles.withdraw_from_reporting(actor.to_dict(), command)

    # Norms and the calendar ----------------------------------------------------------------

    @http("PUT", "/cycles/<cycle_id>/norms")
    def agree_norms(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(AgreeNorms, with_path(json_body(request), cycle_id=cycle_id))
        return self.cycles.agree_norms(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/calendar")
    def schedule_item(self, request: Request, cycle_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(ScheduleItem, with_path(json_body(request), cycle_id=cycle_id))
        return 201, self.cycles.schedule_item(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/calendar/<item_id>/reschedule")
    def reschedule_item(self, request: Request, cycle_id: str, item_id: str) -> Json:
        actor = actor_of(request)
        command = validated(RescheduleItem, with_path(json_body(request), cycle_id=cycle_id,
                                                      item_id=item_id))
        return self.cycles.reschedule_item(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/calendar/<item_id>/cancel")
    def cancel_item(self, request: Request, cycle_id: str, item_id: str) -> Json:
        actor = actor_of(request)
        command = validated(CancelItem, with_path(optional_json_body(request), cycle_id=cycle_id,
                                                  item_id=item_id))
        return self.cycles.cancel_item(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/calendar/<item_id>/done")
    def mark_item_done(self, request: Request, cycle_id: str, item_id: str) -> Json:
        actor = actor_of(request)
        command = validated(MarkItemDone, with_path(optional_json_body(request), cycle_id=cycle_id,
                                                    item_id=item_id))
        return self.cycles.mark_item_done(actor.to_dict(), command)

    # Observations, debriefs, next steps ----------------------------------------------------

    @http("POST", "/cycles/<cycle_id>/observations")
    def log_observation(self, request: Request, cycle_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(LogObservation, with_path(json_body(request), cycle_id=cycle_id))
        return 201, self.cycles.log_observation(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/debriefs")
    def hold_debrief(self, request: Request, cycle_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(HoldDebrief, with_path(json_body(request), cycle_id=cycle_id))
        return 201, self.cycles.hold_debrief(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/next-steps")
    def add_next_step(self, request: Request, cycle_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(AddNextStep, with_path(json_body(request), cycle_id=cycle_id))
        return 201, self.cycles.add_next_step(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/next-steps/<step_id>/complete")
    def complete_next_step(self, request: Request, cycle_id: str, step_id: str) -> Json:
        actor = actor_of(request)
        command = validated(CompleteNextStep, with_path(optional_json_body(request),
                                                        cycle_id=cycle_id, step_id=step_id))
        return self.cycles.complete_next_step(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/next-steps/<step_id>/drop")
    def drop_next_step(self, request: Request, cycle_id: str, step_id: str) -> Json:
        actor = actor_of(request)
        command = validated(DropNextStep, with_path(optional_json_body(request), cycle_id=cycle_id,
                                                    step_id=step_id))
        return self.cycles.drop_next_step(actor.to_dict(), command)

    # Phases, closing, reopening ------------------------------------------------------------

    @http("POST", "/cycles/<cycle_id>/phase/back")
    def move_phase_back(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        body = with_path(optional_json_body(request), cycle_id=cycle_id)
        command = validated(MovePhaseBack, body)
        return self.cycles.move_phase_back(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/goal")
    def revise_goal(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(ReviseGoal, with_path(json_body(request), cycle_id=cycle_id))
        return self.cycles.revise_goal(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/close")
    def close_cycle(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(CloseCycle, with_path(json_body(request), cycle_id=cycle_id))
        return self.cycles.close_cycle(actor.to_dict(), command)

    @http("POST", "/cycles/<cycle_id>/reopen")
    def reopen_cycle(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        command = validated(ReopenCycle, with_path(optional_json_body(request), cycle_id=cycle_id))
        return self.cycles.reopen_cycle(actor.to_dict(), command)

    # Reading: the cycle's coach and teachers only ------------------------------------------

    @http("GET", "/cycles/<cycle_id>")
    def get_cycle(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        return self.cycles.get_cycle(actor.to_dict(),
                                     validated(CycleQuery, {"cycle_id": cycle_id}))

    @http("GET", "/cycles/<cycle_id>/timeline")
    def cycle_timeline(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        return self.cycles.cycle_timeline(actor.to_dict(),
                                          validated(CycleQuery, {"cycle_id": cycle_id}))

    @http("GET", "/cycles/<cycle_id>/reads")
    def cycle_reads(self, request: Request, cycle_id: str) -> Json:
        actor = actor_of(request)
        return self.cycles.cycle_reads(actor.to_dict(),
                                       validated(CycleQuery, {"cycle_id": cycle_id}))

    @http("GET", "/coaches/<coach_id>/caseload")
    def caseload(self, request: Request, coach_id: str) -> Json:
        actor = actor_of(request)
        query = validated(CaseloadQuery, {**request.args.to_dict(), "coach_id": coach_id})
        return self.cycles.caseload(actor.to_dict(), query)

    @http("GET", "/teachers/<teacher_id>/cycles")
    def teacher_cycles(self, request: Request, teacher_id: str) -> Json:
        actor = actor_of(request)
        query = validated(TeacherCyclesQuery, {**request.args.to_dict(),
                                               "teacher_id": teacher_id})
        return self.cycles.teacher_cycles(actor.to_dict(), query)
