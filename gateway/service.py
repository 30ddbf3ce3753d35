"""The gateway nameko service: health, and the routes of every service it fronts."""

from __future__ import annotations

from typing import Any

import eventlet
from werkzeug import Request

from coachops import settings
from coachops.logs import RequestIds
from coachops.metrics import MetricsServer
from gateway.http import http
from gateway.openapi import ApiDescriptionRoutes
from gateway.revocations import RevocationList
from gateway.roster_roles import RosterRoles
from gateway.routes.admin import AdminRoutes
from gateway.routes.agreements import AgreementRoutes
from gateway.routes.app import AppRoutes
from gateway.routes.dashboard import DashboardRoutes
from gateway.routes.reporting import ReportRoutes
from gateway.routes.sync import SyncRoutes
from gateway.routes.table import TableRoutes
from gateway.routes.timetracking import TimeRoutes
from gateway.sessions import SessionStore
from gateway.signin import SignInRoutes

# A process of its own: stop here on a bad setting or a secret production refuses.
settings.start(settings.TOKEN_SECRET, settings.BROKER, settings.database_secret("gateway"))
BACKENDS = ("agreements", "cycles", "reporting", "timetracking")


class GatewayService(AdminRoutes, AgreementRoutes, AppRoutes, ApiDescriptionRoutes,
                     DashboardRoutes, ReportRoutes, SignInRoutes, SyncRoutes, TableRoutes,
                     TimeRoutes):
    name = "gateway"

    metrics = MetricsServer()
    request_ids = RequestIds()  # each worker's log lines carry its request's id
    revocations = RevocationList()  # the gateway's own database: revoked tokens
    roster_roles = RosterRoles()  # the roles the roster gives each caller today
    sessions = SessionStore()  # the gateway's own database: browser sessions (district sign-in)

    @http("GET", "/healthz")
    def healthz(self, request: Request) -> dict[str, str]:
        return {"status": "up"}

    @http("GET", "/readyz")
    def readyz(self, request: Request) -> tuple[int, dict[str, Any]]:
        checks = {}
        for name in BACKENDS:
            try:
                # A stopped service leaves its RPC queue behind: bound the wait.
                with eventlet.Timeout(2):
                    checks[name] = getattr(self, name).ping() == "pong"
            except (Exception, eventlet.Timeout):
                checks[name] = False
        database = self._database_answers()
        ready = all(checks.values()) and database
        return (200 if ready else 503), {"ready": ready, "services": checks,
                                         "gateway_database": database}

    def _database_answers(self) -> bool:
        """The gateway's own database (revoked tokens): without it no token is accepted."""
        try:
            with eventlet.Timeout(2), self.revocations.transaction(commit=False) as cursor:
                cursor.execute("SELECT 1")
            return True
        except (Exception, eventlet.Timeout):
            return False
