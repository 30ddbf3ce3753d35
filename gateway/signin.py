"""District sign-in: people sign in with their district account (OpenID Connect), and the
browser gets a session (``gateway.sessions``) instead of a pasted token.

    GET  /auth/signin[?next=/admin/]   to the provider (state, nonce, PKCE S256)
    GET  /auth/callback                back from it: the ID token verified (gateway.oidc),
                                       the person found on the roster, a session opened
    GET  /auth/session                 who is signed in, their roles, the CSRF token
    POST /auth/role {"role": ...}      act in another of their roles (CSRF token needed)
    POST /auth/signout                 end the session (and say where to end it at the
                                       provider, when its discovery names an
                                       end_session_endpoint)

Who signed in is found on the roster by the ID token's ``OIDC_ROSTER_CLAIM``: ``email``
(the default; an email the provider says is unverified is refused) or a claim carrying
the roster's sourcedId, asked of the agreements service (``identify_person``). Someone the
roster does not know, who was forgotten, or to whom it gives no role today (disabled in
the SIS, or their assignments ended) is refused with a page that says so, as is every
failed check of the flow; nothing here answers with a stack trace. The roles are the
roster's on the day; with more than one the person chooses (the dashboard asks) and may
switch.
"""

from __future__ import annotations

import html
import logging
import uuid
from functools import cache
from typing import Any

from werkzeug import Request, Response
from werkzeug.exceptions import Forbidden, Unauthorized
from werkzeug.utils import redirect

from coachops import settings
from coachops.commands.gateway import ChooseRole
from coachops.identity import Role
from coachops.json import Json
from gateway import sessions
from gateway.http import Backend, http, json_body, json_response
from gateway.oidc import Provider, Refused, new_secret
from gateway.routes import validated
from gateway.static import SECURITY_HEADERS

log = logging.getLogger(__name__)

CALLBACK = "/auth/callback"
HOME = "/dashboard/"
PLACES = ("/dashboard/", "/admin/", "/app/")  # where a sign-in may return to


@cache
def provider() -> Provider | None:
    """The district's provider, one per gateway process (None: sign-in is off)."""
    configured = settings.current()
    if not configured.sign_in:
        return None
    return Provider(configured.oidc_issuer, configured.oidc_client_id,
                    configured.oidc_client_secret, configured.oidc_scopes)


def public_url(request: Request) -> str:
    return (settings.current().gateway_public_url or request.host_url).rstrip("/")


def return_to(wanted: str | None) -> str:
    """Only one of the gateway's own pages: never another site (an open redirect)."""
    return wanted if wanted in PLACES else HOME


def page(status: int, title: str, message: str, action: str = "Sign in again",
         href: str = "/auth/signin") -> Response:
    """A plain page the person can read (and a screen reader, and a phone)."""
    body = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(title)} - coachops</title>
  <link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/dashboard/base.css">
</head>
<body>
  <header class="top"><p class="brand">coachops</p></header>
  <main id="main" class="card signin-page">
    <h1>{html.escape(title)}</h1>
    <p>{html.escape(message)}</p>
    <p><a class="button" href="{html.escape(href)}">{html.escape(action)}</a></p>
  </main>
</body>
</html>
"""
    return Response(body, status=status, headers=SECURITY_HEADERS,
                    content_type="text/html; charset=utf-8")


def refusal_page(refused: Refused) -> Response:
    title = ("You cannot sign in to coachops" if refused.status == 403
             else "The sign-in did not work")
    sentence = refused.reason[:1].upper() + refused.reason[1:]
    return page(refused.status, title, sentence if sentence.endswith(".") else f"{sentence}.")


def matched(answer: Json | None, claim: str, value: str) -> bool:
    """The roster's person is the one the claim names: by email, their email (any
    case); otherwise their sourcedId, exactly."""
    if not answer:
        return False
    if claim == "email":
        return str(answer.get("email") or "").casefold() == value.casefold()
    return str(answer.get("sourced_id")) == value


def person_of(claims: dict[str, Any], answer_for: Any) -> tuple[Json, tuple[Role, ...]]:
    """The roster's answer about who signed in and the roles it gives them today, or
    ``Refused`` saying why they may not sign in. ``answer_for(identifier)`` asks the
    roster (agreements' ``identify_person``)."""
    claim = settings.current().oidc_roster_claim
    value = claims.get(claim)
    if not isinstance(value, str) or not value.strip():
        raise Refused("your district account did not say who you are to coachops; ask "
                      "district IT", f"the ID token has no {claim!r} claim")
    value = value.strip()
    if claim == "email" and claims.get("email_verified") is False:
        raise Refused("your district account's email is not verified; ask district IT",
                      f"{value}: email_verified is false")
    answer = answer_for(value)
    if not matched(answer, claim, value):
        said = "the email" if claim == "email" else "the id"
        raise Refused(f"nobody on the district's roster has {said} {value}, so coachops "
                      "does not know you; ask district IT to check the roster",
                      f"{claim} {value!r} is not on the roster")
    assert answer is not None
    if answer.get("forgotten"):
        raise Refused("your account was removed from coachops at the district's request",
                      f"{answer['person_id']} was forgotten")
    roles = tuple(sorted((Role(r) for r in answer.get("roles", [])), key=lambda r: r.value))
    if not roles:
        raise Refused("the district's roster gives you no role in coachops today: your "
                      "account may be disabled or your assignments may have ended; ask "
                      "district IT", f"{answer['person_id']} holds no role today")
    return answer, roles


def signed_out() -> dict[str, Any]:
    configured = settings.current()
    return {"signed_in": False, "sign_in": configured.sign_in,
            "token_paste": configured.pasted_tokens}


class SignInRoutes:
    sessions: Any  # the gateway's database (``GatewayService.sessions``, a PostgresDatabase)
    agreements: Backend  # the roster (the RPC proxy the route table gives GatewayService)

    @http("GET", "/auth/signin")
    def sign_in(self, request: Request) -> Response:
        try:
            chosen = provider()
            if chosen is None:
                return page(404, "District sign-in is not set up",
                            "district IT has not connected coachops to the district's "
                            "accounts yet", "Back to the dashboard", HOME)
            state, nonce, verifier = new_secret(), new_secret(), new_secret(64)
            browser = new_secret()
            url = chosen.authorization_url(f"{public_url(request)}{CALLBACK}", state, nonce,
                                           verifier)
            sessions.begin(self.sessions, state, nonce, verifier,
                           return_to(request.args.get("next")), browser)
        except Refused as refused:
            log.warning("sign-in not begun: %s", refused.detail)
            return refusal_page(refused)
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "no-store"
        sessions.set_sign_in_cookie(response, browser)
        return response

    @http("GET", "/auth/callback")
    def sign_in_callback(self, request: Request) -> Response:
        try:
            return self._signed_in(request)
        except Refused as refused:
            log.warning("sign-in refused: %s", refused.detail)
            return refusal_page(refused)
        except Exception:
            log.exception("sign-in failed")
            return page(500, "The sign-in did not work",
                        "something went wrong on our side; it has been logged. Try again in "
                        "a moment.")

    def _signed_in(self, request: Request) -> Response:
        chosen = provider()
        if chosen is None:
            raise Refused("district sign-in is not set up", "OIDC_ISSUER is unset", 404)
        if request.args.get("error"):
            raise Refused("the district's sign-in did not let you in "
                          f"({request.args.get('error_description') or request.args['error']})",
                          f"the provider answered {request.args['error']}")
        state, code = request.args.get("state", ""), request.args.get("code", "")
        pending = sessions.take_pending(self.sessions, state) if state else None
        if pending is None:
            raise Refused("this sign-in link was already used or is too old; sign in again",
                          "no sign-in under way has this state (replayed or expired)", 400)
        if not pending.began_in(request):
            raise Refused("this sign-in was begun in another browser; sign in again here",
                          "the callback came without the cookie of the browser that began it",
                          400)
        if not code:
            raise Refused("the district's sign-in sent no code back; sign in again",
                          "the callback has no code", 400)
        id_token = chosen.exchange(code, f"{public_url(request)}{CALLBACK}",
                                   pending.code_verifier)
        claims = chosen.verify(id_token, pending.nonce)
        answer, roles = person_of(claims, self.agreements.identify_person)
        name = " ".join(n for n in (answer.get("given_name"), answer.get("family_name")) if n)
        before = sessions.of_request(self.sessions, request)
        if before is not None:  # signing in again in the same browser: one session at a time
            sessions.end(self.sessions, before.session_id)
        key, session = sessions.open_session(
            self.sessions, uuid.UUID(str(answer["person_id"])), name, roles, id_token)
        log.info("signed in: person %s (%s) as %s", session.person_id,
                 ", ".join(r.value for r in roles),
                 session.role.value if session.role else "(to choose)")
        response = redirect(pending.return_to, code=303)
        response.headers["Cache-Control"] = "no-store"
        sessions.set_cookie(response, key, session)
        sessions.clear_sign_in_cookie(response)
        return response

    @http("GET", "/auth/session")
    def signed_in(self, request: Request) -> Response:
        session = sessions.of_request(self.sessions, request)
        body = signed_out() if session is None else {**signed_out(), **session.view()}
        return json_response(200, body, {"Cache-Control": "no-store"})

    @http("POST", "/auth/role")
    def choose_role(self, request: Request) -> Response:
        session = self._session_for_change(request)
        role = Role(validated(ChooseRole, json_body(request))["role"])
        today = tuple(sorted((Role(r) for r in self.agreements.roles_on(
            str(session.person_id))), key=lambda r: r.value))
        if role not in today:
            raise Forbidden(f"the roster does not make you a {role.value} today")
        session = sessions.choose_role(self.sessions, session, role, today)
        log.info("person %s acts as %s", session.person_id, role.value)
        return json_response(200, {**signed_out(), **session.view()})

    @http("POST", "/auth/signout")
    def sign_out(self, request: Request) -> Response:
        session = sessions.of_request(self.sessions, request)
        provider_signout = None
        if session is not None:
            sessions.require_csrf(request, session)
            sessions.end(self.sessions, session.session_id)
            chosen = provider()
            if chosen is not None:
                back = return_to(request.args.get("next"))  # the page signed out of
                provider_signout = chosen.end_session_url(session.id_token,
                                                          f"{public_url(request)}{back}")
            log.info("signed out: person %s", session.person_id)
        response = json_response(200, {"signed_in": False, "provider_signout": provider_signout})
        sessions.clear_cookie(response)
        return response

    def _session_for_change(self, request: Request) -> sessions.Session:
        session = sessions.of_request(self.sessions, request)
        if session is None:
            raise Unauthorized("there is no session to change: sign in first")
        sessions.require_csrf(request, session)
        return session
