"""HTTPS at the reverse proxy: the real Caddy, run with the compose file's Caddyfile,
environment and mounts, in front of the real gateway (the shared platform), with a
certificate the test makes (a CA and a ``localhost`` server certificate); and the compose
file publishing nothing but the proxy on all interfaces."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.compose.test_compose import clean_env, compose_config
from tests.support import roster
from tests.support.platform import GATEWAY_PORT, Platform, wait_until

# Ports of this test's own: the proxy's HTTP, HTTPS and admin endpoint.
HTTP_PORT = int(os.environ.get("COACHOPS_TEST_PROXY_HTTP_PORT", "18811"))
HTTPS_PORT = int(os.environ.get("COACHOPS_TEST_PROXY_HTTPS_PORT", "18812"))
ADMIN_PORT = int(os.environ.get("COACHOPS_TEST_PROXY_ADMIN_PORT", "18813"))


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA, and a server certificate for ``localhost`` it signed: (ca, cert, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("coachops test CA"))
          .issuer_name(_name("coachops test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """The service's bind mounts: path in the container -> file on this machine."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found[volume["target"]] = volume["source"]
        else:
            source, target = volume.split(":")[:2]
            found[target] = source
    return found


def host_ips(service: dict[str, Any]) -> list[str]:
    """Where each of the service's published ports listens ("" for all interfaces)."""
    ips = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ips.append(port.get("host_ip", ""))
        else:
            parts = str(port).split(":")
            ips.append(parts[0] if len(parts) == 3 else "")
    return ips


@pytest.fixture
def proxy(platform: Platform, tmp_path: Path) -> Iterator[Path]:
    """Caddy as compose starts it, the files it mounts read from this machine, its gateway
    (``gateway``, compose's name for it) at the platform's address. Yields the test CA."""
    ca, cert, key = make_certificates(tmp_path)
    config, _ = compose_config({**clean_env(), "TLS_CERT_FILE": str(cert),
                                "TLS_KEY_FILE": str(key), "GATEWAY_PORT": str(GATEWAY_PORT)})
    service = config["services"]["proxy"]
    files = mounts(service)
    env = {name: files.get(str(value), str(value))
           for name, value in service["environment"].items()}
    assert env["GATEWAY_UPSTREAM"] == f"gateway:{GATEWAY_PORT}"
    env["GATEWAY_UPSTREAM"] = f"127.0.0.1:{GATEWAY_PORT}"
    # Its own ports and state here; in its container they are 80, 443 and /data.
    env.update(HTTP_PORT=str(HTTP_PORT), HTTPS_PORT=str(HTTPS_PORT),
               CADDY_ADMIN=f"127.0.0.1:{ADMIN_PORT}", HOME=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PATH=os.environ["PATH"])
    log = (tmp_path / "caddy.log").open("w")
    process = subprocess.Popen(
        ["caddy", "run", "--adapter", "caddyfile", "--config", files["/etc/caddy/Caddyfile"]],
        env=env, stdout=log, stderr=subprocess.STDOUT)

    def serving() -> bool:
        assert process.poll() is None, (tmp_path / "caddy.log").read_text()
        try:
            with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=1):
                return True
        except OSError:
            return False

    try:
        wait_until(serving, timeout=30, what="caddy to serve HTTPS")
        yield ca
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_https_in_front_of_the_gateway_with_the_district_certificate(
    platform: Platform, proxy: Path
) -> None:
    base = f"https://localhost:{HTTPS_PORT}"
    health = requests.get(f"{base}/healthz", verify=str(proxy), timeout=10)
    assert health.status_code == 200, health.text
    # Browsers keep to HTTPS once they have seen this.
    assert health.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    # The Authorization header goes through: refused without, answered with.
    path = f"/integration-tokens?person_id={uuid.uuid4()}"
    assert requests.get(base + path, verify=str(proxy), timeout=10).status_code == 401
    signed_in = requests.get(base + path, verify=str(proxy), timeout=10,
                             headers=roster.it_admin_headers(platform))
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json() == {"tokens": []}

    # Only the test CA makes this certificate trusted: nothing is served unverified.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{base}/healthz", timeout=10)

    # Plain HTTP only redirects, to the same path over HTTPS (on 443, where compose
    # publishes it; only this test has it elsewhere).
    plain = requests.get(f"http://localhost:{HTTP_PORT}/healthz?x=1", allow_redirects=False,
                         timeout=10)
    assert plain.status_code in (301, 308), plain.status_code
    assert plain.headers["Location"] == "https://localhost/healthz?x=1"


def test_only_the_proxy_is_published_on_all_interfaces() -> None:
    config, _ = compose_config(clean_env())
    published = {name: host_ips(service) for name, service in config["services"].items()
                 if service.get("ports")}
    everywhere = {name for name, ips in published.items() if "" in ips or "0.0.0.0" in ips}
    assert everywhere == {"proxy"}, published
    # Plain HTTP services (the gateway, RabbitMQ's UI, Prometheus, Alertmanager, Grafana)
    # on this machine only.
    for name in ("gateway", "rabbitmq", "prometheus", "alertmanager", "grafana"):
        assert set(published.get(name, ["127.0.0.1"])) == {"127.0.0.1"}, name
    assert sorted(port["target"] for port in config["services"]["proxy"]["ports"]) == [80, 443]


def test_automatic_certificates_for_a_public_site_address() -> None:
    """TLS_MODE=automatic: the same Caddyfile, read by the real Caddy, loads no certificate
    file and serves the public name on HTTPS, so Caddy obtains its certificate itself."""
    config, _ = compose_config({**clean_env(), "TLS_MODE": "automatic",
                                "SITE_ADDRESS": "coach.district.example.org"})
    service = config["services"]["proxy"]
    env = {**{name: str(value) for name, value in service["environment"].items()},
           "PATH": os.environ["PATH"]}
    adapted = subprocess.run(
        ["caddy", "adapt", "--adapter", "caddyfile", "--config",
         mounts(service)["/etc/caddy/Caddyfile"]],
        env=env, capture_output=True, text=True, timeout=30)
    assert adapted.returncode == 0, adapted.stderr
    caddy = json.loads(adapted.stdout)
    assert "tls" not in caddy["apps"]  # no certificate files loaded
    server = caddy["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    assert server["routes"][0]["match"] == [{"host": ["coach.district.example.org"]}]
    # The district mode, by contrast, loads the mounted files.
    district = subprocess.run(
        ["caddy", "adapt", "--adapter", "caddyfile", "--config",
         mounts(service)["/etc/caddy/Caddyfile"]],
        env={**env, "TLS_MODE": "district"}, capture_output=True, text=True, timeout=30)
    assert district.returncode == 0, district.stderr
    assert json.loads(district.stdout)["apps"]["tls"]["certificates"]["load_files"] == [
        {"certificate": "/etc/caddy/tls/cert.pem", "key": "/etc/caddy/tls/key.pem",
         "tags": ["cert0"]}]
