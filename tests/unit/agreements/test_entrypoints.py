"""The agreements entrypoints only translate: the nameko service and the gateway's routes,
checked with worker_factory (the HTTP round trip is in the integration tests)."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from werkzeug import Request
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.test import EnvironBuilder

from coachops import clock
from coachops.commands import field_errors
from coachops.errors import Invalid
from coachops.identity import Actor, Role
from gateway.auth import issue
from gateway.service import BACKENDS, GatewayService
from services.agreements.service import AgreementsService

ADMIN = uuid.uuid4()
ACTOR = {"id": str(ADMIN), "role": "it_admin"}
FILES = {"orgs": "o", "users": "u", "regions": "r", "assignments": "a"}


def request(path: str, body: Any = None, data: Any = None,
            content_type: str = "application/json") -> Request:
    builder = EnvironBuilder(
        path=path, method="POST", content_type=content_type,
        headers={"Authorization": f"Bearer {issue(ADMIN, Role.IT_ADMIN)}"},
        data=data if data is not None else json.dumps(body))
    return Request(builder.get_environ())


def test_an_import_is_queued_with_the_files_dated_today_when_undated() -> None:
    service = worker_factory(AgreementsService)
    service.imports.run.return_value = {"import_id": "i", "state": "queued"}
    assert service.import_roster(ACTOR, FILES) == {"import_id": "i", "state": "queued"}
    assert service.imports.run.call_args.args == (Actor(ADMIN, Role.IT_ADMIN), FILES,
                                                  clock.today())
    service.agreements.preview_roster_import.assert_not_called()


def test_a_dry_run_answers_the_preview_and_queues_nothing() -> None:
    service = worker_factory(AgreementsService)
    service.agreements.preview_roster_import.return_value = {"counts": {}}
    assert service.import_roster(ACTOR, {**FILES, "dry_run": True}) == {"counts": {}}
    assert service.agreements.preview_roster_import.call_args.args == (
        Actor(ADMIN, Role.IT_ADMIN), FILES, clock.today())
    service.imports.run.assert_not_called()


def test_a_bad_command_is_invalid_naming_the_field() -> None:
    service = worker_factory(AgreementsService)
    with pytest.raises(Invalid) as error:
        service.sign_coaching_agreement(ACTOR, {"agreement_id": str(uuid.uuid4()),
                                                "version": 0})
    assert error.value.field == "version"
    service.agreements.sign_coaching_agreement.assert_not_called()


def test_the_gateway_fronts_agreements() -> None:
    assert "agreements" in BACKENDS


def test_the_roster_comes_as_multipart_files_or_json() -> None:
    gateway = worker_factory(GatewayService)
    queued = {"import_id": "i", "state": "queued"}
    gateway.agreements_long.import_roster.return_value = queued
    upload = {f"{name}.csv": (io.BytesIO(text.encode()), f"{name}.csv")
              for name, text in FILES.items()}
    builder = EnvironBuilder(path="/roster/import", method="POST",
                             headers={"Authorization": f"Bearer {issue(ADMIN, Role.IT_ADMIN)}"},
                             data={**upload, "effective_on": "2026-08-01"})
    assert gateway.import_roster(Request(builder.get_environ())) == (202, queued)
    actor, command = gateway.agreements_long.import_roster.call_args.args
    assert actor == ACTOR
    assert command == {**FILES, "effective_on": "2026-08-01", "dry_run": False}
    gateway.import_roster(request("/roster/import", FILES))
    assert gateway.agreements_long.import_roster.call_args.args[1] == {
        **FILES, "effective_on": None, "dry_run": False}
    with pytest.raises(UnsupportedMediaType):
        gateway.import_roster(request("/roster/import", data="x", content_type="text/plain"))


def test_a_dry_run_is_a_form_field_or_a_query_parameter_and_answers_200() -> None:
    gateway = worker_factory(GatewayService)
    gateway.agreements_long.import_roster.return_value = {"counts": {}}
    upload = {f"{name}.csv": (io.BytesIO(text.encode()), f"{name}.csv")
              for name, text in FILES.items()}
    builder = EnvironBuilder(path="/roster/import", method="POST",
                             headers={"Authorization": f"Bearer {issue(ADMIN, Role.IT_ADMIN)}"},
                             data={**upload, "dry_run": "true"})
    assert gateway.import_roster(Request(builder.get_environ())) == (200, {"counts": {}})
    assert gateway.agreements_long.import_roster.call_args.args[1]["dry_run"] is True
    assert gateway.import_roster(request("/roster/import?dry_run=1", FILES))[0] == 200
    with pytest.raises(ValidationError) as error:
        gateway.import_roster(request("/roster/import?dry_run=perhaps", FILES))
    assert [f["field"] for f in field_errors(error.value.messages)] == ["dry_run"]


def test_a_missing_file_or_a_bad_date_is_refused_naming_it() -> None:
    gateway = worker_factory(GatewayService)
    with pytest.raises(ValidationError) as error:
        gateway.import_roster(request("/roster/import",
                                      {"orgs": "o", "regions": "r",
                                       "effective_on": "soon"}))
    assert [f["field"] for f in field_errors(error.value.messages)] == [
        "effective_on", "users"]
    gateway.agreements_long.import_roster.assert_not_called()


def test_the_url_names_the_agreement() -> None:
    gateway = worker_factory(GatewayService)
    agreement_id = str(uuid.uuid4())
    gateway.sign_coaching_agreement(
        request(f"/coaching-agreements/{agreement_id}/sign", {"version": 2}), agreement_id)
    assert gateway.agreements.sign_coaching_agreement.call_args.args[1] == {
        "agreement_id": agreement_id, "version": 2, "signed_on": None}  # None: today
    gateway.sign_coaching_agreement(
        request(f"/coaching-agreements/{agreement_id}/sign",
                {"version": 2, "signed_on": "2026-08-14"}), agreement_id)
    assert gateway.agreements.sign_coaching_agreement.call_args.args[1]["signed_on"] == \
        "2026-08-14"
    with pytest.raises(ValidationError):
        gateway.sign_coaching_agreement(request("/coaching-agreements/x/sign", {"version": 1}),
                                        "x")
