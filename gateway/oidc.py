"""The district's OpenID Connect provider, as the gateway signs people in with it: the
authorization code flow with PKCE (authlib's OAuth 2 client) and the ID token verified
with joserfc (authlib's own JOSE library).

Everything about the provider comes from its issuer URL: the discovery document
(``<issuer>/.well-known/openid-configuration``, re-read every ``DISCOVERY_SECONDS``) names
its endpoints and where its signing keys are published (``jwks_uri``). The keys are kept
in the process and fetched again when an ID token names a key id they do not hold: the
provider has rotated its keys (a token that names no key: when its signature does not
match them). A key id still unknown after that is refused. The keys are fetched at most
once every ``REFETCH_SECONDS`` per process: a sign-in that needs them sooner waits for its
turn, so a stream of forged tokens cannot make the gateway hammer the provider, and a
sign-in just after a rotation is never refused for it.

An ID token is accepted only when its signature is by one of the provider's published
keys with an asymmetric algorithm it announces (never ``none``, never a shared-secret
HMAC), it was issued by this issuer (``iss``), for this client (``aud``, and ``azp`` when
there are several audiences), it has not expired (``exp``, with ``LEEWAY_SECONDS`` for
clocks that differ), and it carries the nonce this sign-in sent (so an ID token captured
from another sign-in is refused).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

DISCOVERY_SECONDS = 3600.0
REFETCH_SECONDS = 1.0
LEEWAY_SECONDS = 60
HTTP_SECONDS = 10.0
# Signatures by the provider's published public keys only.
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
                        "ES384", "ES512", "EdDSA"})


class Refused(Exception):
    """A sign-in refused. ``reason`` is what the person is told (plain words, no detail an
    attacker could use) and ``detail`` what the log says."""

    def __init__(self, reason: str, detail: str = "", status: int = 403) -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail or reason
        self.status = status


def new_secret(length: int = 43) -> str:
    """A random URL-safe string: a state, a nonce, a PKCE verifier, a session's key."""
    return str(generate_token(length))


Fetch = Callable[[str], dict[str, Any]]


def fetch_json(url: str) -> dict[str, Any]:
    answer = requests.get(url, timeout=HTTP_SECONDS, headers={"Accept": "application/json"})
    answer.raise_for_status()
    document = answer.json()
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return document


def header_of(token: str) -> dict[str, Any]:
    """A compact JWS's protected header, unverified (to choose the key)."""
    try:
        encoded = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, IndexError):
        raise Refused("the provider's answer was not a valid sign-in",
                      "the ID token is not a compact JWS") from None
    if not isinstance(header, dict):
        raise Refused("the provider's answer was not a valid sign-in",
                      "the ID token's header is not an object")
    return header


@dataclass
class Provider:
    """One provider, shared by the gateway's workers (its caches are guarded)."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    fetch: Fetch = fetch_json
    _discovery: dict[str, Any] | None = None
    _discovered_at: float = 0.0
    _keys: KeySet | None = None
    _keys_at: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # The discovery document and the keys ---------------------------------------------

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if (self._discovery is None
                    or time.monotonic() - self._discovered_at > DISCOVERY_SECONDS):
                document = self._fetch(f"{self.issuer.rstrip('/')}/.well-known/"
                                       "openid-configuration")
                if document.get("issuer") != self.issuer:
                    raise Refused("the district's sign-in is not set up correctly",
                                  f"the discovery document names the issuer "
                                  f"{document.get('issuer')!r}, not OIDC_ISSUER "
                                  f"{self.issuer!r}", status=503)
                for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(document.get(needed), str):
                        raise Refused("the district's sign-in is not set up correctly",
                                      f"the discovery document has no {needed}", status=503)
                self._discovery, self._discovered_at = document, time.monotonic()
            return self._discovery

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            return self.fetch(url)
        except (requests.RequestException, ValueError) as error:
            raise Refused("the district's sign-in service did not answer; try again shortly",
                          f"{url}: {type(error).__name__}: {error}", status=503) from None

    def key_set(self, kid: str | None, refresh: bool = False) -> KeySet:
        """The provider's keys, fetched again when ``kid`` is not among them or, for a
        token that names no key, when its signature did not match them (``refresh``):
        the provider has rotated its keys."""
        with self._lock:
            known = self._keys is not None and not refresh and (
                kid is None or _holds(self._keys, kid))
            if not known:
                wait = self._keys_at + REFETCH_SECONDS - time.monotonic()
                if wait > 0:  # fetched a moment ago: once a while at most
                    time.sleep(wait)
                uri = str(self._discovery_unlocked()["jwks_uri"])
                self._keys_at = time.monotonic()
                try:
                    self._keys = KeySet.import_key_set(self._fetch(uri))  # type: ignore[arg-type]
                except JoseError as error:
                    raise Refused("the district's sign-in is not set up correctly",
                                  f"the provider's keys cannot be read: {error}",
                                  status=503) from None
            if self._keys is None:
                raise Refused("the district's sign-in service did not answer; try again",
                              "no keys fetched yet", status=503)
            return self._keys

    def _discovery_unlocked(self) -> dict[str, Any]:
        if self._discovery is None:
            raise RuntimeError("discovery() first")
        return self._discovery

    # The flow -------------------------------------------------------------------------

    def session(self, redirect_uri: str) -> OAuth2Session:
        return OAuth2Session(self.client_id, self.client_secret, scope=self.scopes,
                             redirect_uri=redirect_uri, code_challenge_method="S256")

    def authorization_url(self, redirect_uri: str, state: str, nonce: str,
                          code_verifier: str) -> str:
        """Where the browser goes to sign in: with the state, the nonce and the PKCE
        challenge (S256) of ``code_verifier``."""
        endpoint = str(self.discovery()["authorization_endpoint"])
        url, _ = self.session(redirect_uri).create_authorization_url(
            endpoint, state=state, nonce=nonce, code_verifier=code_verifier)
        return str(url)

    def exchange(self, code: str, redirect_uri: str, code_verifier: str) -> str:
        """The ID token the provider gives for ``code`` (with the PKCE verifier)."""
        endpoint = str(self.discovery()["token_endpoint"])
        try:
            token = self.session(redirect_uri).fetch_token(
                endpoint, grant_type="authorization_code", code=code,
                code_verifier=code_verifier, timeout=HTTP_SECONDS)
        except requests.RequestException as error:
            raise Refused("the district's sign-in service did not answer; try again shortly",
                          f"the token endpoint: {type(error).__name__}: {error}",
                          status=503) from None
        except Exception as error:  # authlib's OAuth2Error: the provider refused the code
            raise Refused("the sign-in could not be completed; sign in again",
                          f"the token endpoint refused the code: {error}") from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Refused("the provider's answer was not a valid sign-in",
                          "the token endpoint gave no ID token")
        return id_token

    def verify(self, id_token: str, nonce: str, now: int | None = None) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, expiry and nonce
        are what they must be; ``Refused`` saying which is not."""
        header = header_of(id_token)
        algorithm = header.get("alg")
        announced = self.discovery().get("id_token_signing_alg_values_supported") or ["RS256"]
        if algorithm not in ALGORITHMS or algorithm not in announced:
            raise Refused("the provider's answer was not a valid sign-in",
                          f"the ID token is signed with {algorithm!r}, which is not accepted")
        kid = header.get("kid")
        keys = self.key_set(kid if isinstance(kid, str) else None)
        if isinstance(kid, str) and not _holds(keys, kid):
            raise Refused("the provider's answer was not a valid sign-in",
                          f"the ID token is signed with a key the provider does not publish "
                          f"(kid {kid!r})")
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=[str(algorithm)])
            except BadSignatureError:
                if isinstance(kid, str):
                    raise
                # No key named: perhaps signed by a key published since we fetched them
                token = jwt.decode(id_token, self.key_set(None, refresh=True),
                                   algorithms=[str(algorithm)])
        except BadSignatureError:
            raise Refused("the provider's answer was not a valid sign-in",
                          "the ID token's signature is not the provider's") from None
        except JoseError as error:
            raise Refused("the provider's answer was not a valid sign-in",
                          f"the ID token cannot be read: {error}") from None
        claims: dict[str, Any] = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise Refused("the sign-in took too long and expired; sign in again",
                          "the ID token has expired") from None
        except (InvalidClaimError, MissingClaimError) as error:
            raise Refused("the provider's answer was not a valid sign-in",
                          f"the ID token's claim is wrong: {error.claim} "
                          f"({error.description})") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise Refused("the provider's answer was not a valid sign-in",
                          "the ID token is for several clients and not authorised for this one")
        return claims

    def end_session_url(self, id_token_hint: str | None, after: str) -> str | None:
        """Where to end the session at the provider, when its discovery says so."""
        try:
            endpoint = self.discovery().get("end_session_endpoint")
        except Refused:
            return None
        if not isinstance(endpoint, str):
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": after}
        if id_token_hint:
            query["id_token_hint"] = id_token_hint
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _holds(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
