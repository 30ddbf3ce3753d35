"""The reverse proxy, as district IT runs it: the real Caddy with the compose file's
Caddyfile and environment, in front of a real gateway, with the district's certificate
(made here by a test CA); and the compose file publishing nothing else on the network."""

from __future__ import annotations

import datetime
import ipaddress
import os
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.compose.test_compose import ROOT, clean_env, compose_config
from tests.support.platform import Platform, free_port, wait_until
from tests.support.roster import it_admin_headers

# Where the proxy's container finds what compose mounts, and where the test puts it.
CONTAINER_CADDYFILE = "/etc/caddy/Caddyfile"
CONTAINER_TLS = "/etc/coachops/tls"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def certificate_authority(folder: Path, name: str) -> tuple[Path, x509.Certificate,
                                                             ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    path = folder / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, cert, key


def district_certificate(folder: Path) -> Path:
    """A CA of the test's own, and the district's certificate for localhost signed by it,
    as cert.pem and key.pem in ``folder/tls`` (what TLS_DIR holds); the CA's path."""
    ca_path, ca, ca_key = certificate_authority(folder, "district-test-ca")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(ca_key, hashes.SHA256()))
    tls = folder / "tls"
    tls.mkdir()
    (tls / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tls / "key.pem").write_bytes(_pem(key))
    return ca_path


@dataclass
class Proxy:
    https: int
    http: int
    health: int
    ca: Path

    def url(self, path: str) -> str:
        return f"https://localhost:{self.https}{path}"


def _proxy_service(**env: str) -> dict[str, object]:
    config, _ = compose_config({**clean_env(), **env})
    service: dict[str, object] = config["services"]["proxy"]
    return service


@pytest.fixture
def proxy(platform: Platform, tmp_path: Path) -> Iterator[Proxy]:
    with running_proxy(platform, tmp_path) as running:
        yield running


@contextmanager
def running_proxy(platform: Platform, tmp_path: Path, **compose_env: str) -> Iterator[Proxy]:
    """The compose file's proxy service as a local process: its command and environment,
    with what compose would mount and publish put where this machine has it (``gateway``
    is the platform's gateway; ``compose_env``: .env's settings)."""
    service = _proxy_service(**compose_env)
    ca = district_certificate(tmp_path)
    ports = Proxy(free_port(), free_port(), free_port(), ca)
    env = {**os.environ, **{k: str(v) for k, v in dict(service["environment"]).items()}}
    env.update({
        "TLS_MODE": "files",  # the district's own certificate
        "TLS_CERT_FILE": env["TLS_CERT_FILE"].replace(CONTAINER_TLS, str(tmp_path / "tls")),
        "TLS_KEY_FILE": env["TLS_KEY_FILE"].replace(CONTAINER_TLS, str(tmp_path / "tls")),
        "GATEWAY_UPSTREAM": env["GATEWAY_UPSTREAM"].replace(
            "gateway:8000", platform.url.removeprefix("http://")),
        "HTTPS_PORT": str(ports.https), "PUBLIC_HTTPS_PORT": str(ports.https),
        "HTTP_PORT": str(ports.http),
        "HEALTH_PORT": str(ports.health),
        "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
    })
    command = [part.replace(CONTAINER_CADDYFILE, str(ROOT / "deploy" / "caddy" / "Caddyfile"))
               for part in shlex.split(str(service["command"]))]
    log = (tmp_path / "caddy.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{ports.health}/"), timeout=30,
                   what="the proxy's health check")
        yield ports
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).text == "ok"
    except requests.ConnectionError:
        return False


def test_the_gateway_answers_over_https_with_the_districts_certificate(
        proxy: Proxy, platform: Platform) -> None:
    health = requests.get(proxy.url("/healthz"), verify=str(proxy.ca), timeout=10)
    assert health.status_code == 200, health.text
    assert health.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in health.headers
    # A signed-in call goes through with its token, and the answer is the gateway's.
    regions = requests.get(proxy.url("/roster/regions"), headers=it_admin_headers(platform),
                           verify=str(proxy.ca), timeout=10)
    assert regions.status_code == 200, regions.text
    assert "regions" in regions.json()
    refused = requests.get(proxy.url("/roster/regions"), verify=str(proxy.ca), timeout=10)
    assert refused.status_code == 401


def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    answer = requests.get(f"http://localhost:{proxy.http}/reports/time-use?x=1",
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 308
    assert answer.headers["Location"] == proxy.url("/reports/time-use?x=1")


def test_a_certificate_from_another_authority_is_not_trusted(proxy: Proxy,
                                                              tmp_path: Path) -> None:
    other, _, _ = certificate_authority(tmp_path, "someone-else")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(proxy.url("/healthz"), verify=str(other), timeout=10)


def test_two_gateways_are_balanced_and_a_lost_one_is_left_out(
        platform: Platform, tmp_path: Path) -> None:
    """The ha profile's proxy: both gateways upstream, one of them lost (nothing listens
    where it was). Every request is still answered, by the one left."""
    lost = f"127.0.0.1:{free_port()}"
    with running_proxy(platform, tmp_path, COMPOSE_PROFILES="ha",
                       GATEWAY_MORE_UPSTREAMS=lost) as proxy:
        answers = [requests.get(proxy.url("/healthz"), verify=str(proxy.ca), timeout=10)
                   for _ in range(20)]
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]


def published(port: str | dict[str, Any]) -> tuple[str, int]:
    """A port as compose writes it (``host_ip:published:target/protocol``, or the long form
    when it names no host address): the host address it is published on (every interface
    when none) and the container's port."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "0.0.0.0")), int(port["target"])
    parts = port.split("/")[0].split(":")
    return (parts[0] if len(parts) == 3 else "0.0.0.0"), int(parts[-1])


def test_only_the_proxy_is_published_beyond_this_machine() -> None:
    config, _ = compose_config(clean_env())
    open_to_all = {name: [target for host, target in map(published, service.get("ports", []))
                          if host != "127.0.0.1"]
                   for name, service in config["services"].items()}
    assert {name for name, targets in open_to_all.items() if targets} == {"proxy"}
    assert sorted(open_to_all["proxy"]) == [80, 443]
    # The district's key is mounted read-only, never in the image.
    assert any(volume.endswith(f":{CONTAINER_TLS}:ro")
               for volume in config["services"]["proxy"]["volumes"])
