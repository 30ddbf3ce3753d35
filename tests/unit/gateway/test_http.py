"""How the gateway's entrypoint answers what it refuses, and how long it waits."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import ServiceUnavailable, Unauthorized

from coachops.errors import Forbidden
from gateway.http import LONG_ANSWER_SECONDS, JsonHttp, answer_seconds
from tests.support.settings import configure


def test_a_401_says_which_scheme_to_use() -> None:
    response = JsonHttp("GET", "/x").response_from_exception(Unauthorized("the token has expired"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.get_json() == {"error": "Unauthorized", "message": "the token has expired"}


def test_a_503_says_when_to_retry() -> None:
    response = JsonHttp("GET", "/x").response_from_exception(ServiceUnavailable("later"))
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert response.get_json() == {"error": "Service Unavailable", "message": "later"}


def test_a_service_whose_database_is_lost_is_a_503_to_retry_and_other_failures_a_500() -> None:
    from eventsourcing.persistence import OperationalError
    from nameko.exceptions import RemoteError

    http = JsonHttp("POST", "/cycles")
    for lost in (RemoteError("OperationalError", "Connection refused"),
                 RemoteError("InterfaceError", "connection already closed"),
                 OperationalError("server closed the connection unexpectedly")):
        response = http.response_from_exception(lost)
        assert response.status_code == 503, lost
        assert response.headers["Retry-After"] == "5"
    assert http.response_from_exception(RemoteError("KeyError", "x")).status_code == 500


def test_a_refusal_of_the_matrix_names_the_role_as_the_field() -> None:
    refusal = Forbidden("a teacher cannot GET /reports/council: it is for clt_rep, "
                        "district_leader", field="role")
    response = JsonHttp("GET", "/x").response_from_exception(refusal)
    assert response.status_code == 403
    assert response.get_json()["fields"] == [{"field": "role", "reason": refusal.message}]


def test_imports_and_batches_may_take_longer_than_other_routes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, GATEWAY_ANSWER_SECONDS="2")
    assert answer_seconds("GET", "/reports/council") == 2.0
    for route in (("POST", "/roster/import"), ("POST", "/sync"),
                  ("POST", "/coaches/<coach_id>/time-entries/import")):
        assert answer_seconds(*route) == LONG_ANSWER_SECONDS


def test_each_connection_sends_without_waiting_on_nagle() -> None:
    """An answer in two writes must not wait for the client's delayed ACK (bench/README,
    "Reports at 10M events")."""
    import socket

    from gateway.http import JsonProtocol

    with (socket.create_server(("127.0.0.1", 0)) as listener,
          socket.create_connection(listener.getsockname())):
        accepted, _ = listener.accept()
        with accepted:
            protocol = JsonProtocol.__new__(JsonProtocol)  # the server's per-connection part
            protocol.request = accepted
            protocol.setup()
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
