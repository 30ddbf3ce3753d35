"""The ID token's checks (``gateway.oidc.Provider.verify``) with keys made here and the
provider's documents served from memory: what is accepted, what is refused and why, and
the keys fetched again when the provider rotates them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from gateway.oidc import Provider, Refused, header_of

ISSUER = "https://login.district.example"
CLIENT = "coachops"
NONCE = "n-0S6_WzA2Mj"


class Documents:
    """The provider's discovery document and keys, and how often they were fetched."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = list(keys)
        self.fetched: list[str] = []
        self.discovery: dict[str, Any] = {
            "issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks",
            "end_session_endpoint": f"{ISSUER}/logout",
            "id_token_signing_alg_values_supported": ["RS256"]}

    def __call__(self, url: str) -> dict[str, Any]:
        self.fetched.append(url)
        if url.endswith("/jwks"):
            return {"keys": [k.as_dict(private=False) for k in self.keys]}
        return self.discovery


def rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": kid})


def provider(documents: Documents) -> Provider:
    return Provider(ISSUER, CLIENT, "secret", fetch=documents)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": CLIENT, "sub": "248289761001", "iat": now,
            "exp": now + 300, "nonce": NONCE, "email": "ana@district.example", **changes}


def signed(key: RSAKey | OctKey, alg: str = "RS256", kid: bool = True, **changes: Any) -> str:
    header: dict[str, Any] = {"alg": alg}
    if kid and key.kid:
        header["kid"] = key.kid
    return jwt.encode(header, claims(**changes), key)


def refused_for(provider: Provider, token: str, nonce: str = NONCE) -> str:
    with pytest.raises(Refused) as refused:
        provider.verify(token, nonce)
    return refused.value.detail


def test_a_good_id_token_gives_its_claims() -> None:
    key = rsa("k1")
    assert provider(Documents(key)).verify(signed(key), NONCE)["email"] == \
        "ana@district.example"


@pytest.mark.parametrize(("changes", "why"), [
    ({"aud": "another-app"}, "claim is wrong: aud"),
    ({"iss": "https://evil.example"}, "claim is wrong: iss"),
    ({"nonce": "another-sign-in"}, "claim is wrong: nonce"),
    ({"exp": int(time.time()) - 3600}, "has expired"),
    ({"aud": [CLIENT, "another-app"]}, "not authorised for this one"),
])
def test_a_claim_that_is_not_what_it_must_be_is_refused(changes: dict[str, Any],
                                                         why: str) -> None:
    key = rsa("k1")
    assert why in refused_for(provider(Documents(key)), signed(key, **changes))


def test_several_audiences_are_accepted_when_this_client_is_the_authorised_party() -> None:
    key = rsa("k1")
    token = signed(key, aud=[CLIENT, "another-app"], azp=CLIENT)
    assert provider(Documents(key)).verify(token, NONCE)["azp"] == CLIENT


def test_a_missing_nonce_is_refused() -> None:
    key = rsa("k1")
    token = jwt.encode({"alg": "RS256", "kid": "k1"},
                       {k: v for k, v in claims().items() if k != "nonce"}, key)
    assert "nonce" in refused_for(provider(Documents(key)), token)


def test_changed_claims_under_the_same_signature_are_refused() -> None:
    key = rsa("k1")
    header, _, signature = signed(key).split(".")
    other = signed(key, email="it@district.example").split(".")[1]
    assert "signature is not the provider's" in refused_for(
        provider(Documents(key)), f"{header}.{other}.{signature}")


def test_a_shared_secret_or_no_signature_is_never_accepted() -> None:
    key = rsa("k1")
    hmac = signed(OctKey.generate_key(256), alg="HS256", kid=False)
    assert "'HS256', which is not accepted" in refused_for(provider(Documents(key)), hmac)
    unsigned = signed(key).split(".")
    fake_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    assert "'none'" in refused_for(provider(Documents(key)),
                                   f"{fake_header}.{unsigned[1]}.")


def test_an_unknown_key_is_fetched_again_once_and_then_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    documents = Documents(rsa("k1"))
    checking = provider(documents)
    stranger = rsa("not-published")
    assert "does not publish (kid 'not-published')" in refused_for(checking, signed(stranger))
    assert documents.fetched.count(f"{ISSUER}/jwks") == 1
    # at once again: it waits for its turn (at most a fetch a while), then fetches again
    waited: list[float] = []
    monkeypatch.setattr("gateway.oidc.time.sleep", waited.append)
    refused_for(checking, signed(stranger))
    assert documents.fetched.count(f"{ISSUER}/jwks") == 2 and len(waited) == 1


def test_after_the_provider_rotates_its_keys_they_are_fetched_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = rsa("old"), rsa("new")
    documents = Documents(old)
    checking = provider(documents)
    checking.verify(signed(old), NONCE)
    documents.keys = [new]  # rotated
    monkeypatch.setattr("gateway.oidc.REFETCH_SECONDS", 0.0)
    assert checking.verify(signed(new), NONCE)["sub"] == "248289761001"
    assert documents.fetched.count(f"{ISSUER}/jwks") == 2
    # a token naming no key: tried against the keys fetched again
    newer = rsa("newer")
    documents.keys = [newer]
    assert checking.verify(signed(newer, kid=False), NONCE)["sub"] == "248289761001"


def test_a_discovery_document_of_another_issuer_is_refused() -> None:
    documents = Documents(rsa("k1"))
    documents.discovery["issuer"] = "https://evil.example"
    with pytest.raises(Refused) as refused:
        provider(documents).discovery()
    assert refused.value.status == 503 and "not OIDC_ISSUER" in refused.value.detail


def test_the_authorization_url_carries_state_nonce_and_the_pkce_challenge() -> None:
    url = provider(Documents(rsa("k1"))).authorization_url(
        "https://coaching.district.example/auth/callback", "the-state", NONCE, "v" * 64)
    assert url.startswith(f"{ISSUER}/authorize?")
    for part in ("state=the-state", f"nonce={NONCE}", "code_challenge_method=S256",
                 "code_challenge=", "response_type=code", f"client_id={CLIENT}",
                 "scope=openid+email+profile"):
        assert part in url, part
    assert "v" * 64 not in url  # the verifier itself stays with the gateway


def test_signing_out_at_the_provider_when_it_says_where() -> None:
    documents = Documents(rsa("k1"))
    url = provider(documents).end_session_url("the-id-token", "https://x.example/dashboard/")
    assert url is not None and url.startswith(f"{ISSUER}/logout?")
    assert "id_token_hint=the-id-token" in url
    del documents.discovery["end_session_endpoint"]
    assert Provider(ISSUER, CLIENT, "s", fetch=documents).end_session_url(None, "x") is None


def test_a_token_that_is_not_a_jws_is_refused() -> None:
    with pytest.raises(Refused):
        header_of("not a token")
