"""Monitoring as compose deploys it, checked with the real tools (Debian's promtool, amtool,
Alertmanager and PostgreSQL exporter, which `make tools` installs): the Prometheus config
and rules, each alert firing in `promtool test rules`, the Alertmanager config as
render.sh makes it from .env, and one alert travelling from the real exporter through a
real Prometheus and a real Alertmanager to a webhook."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.integration.compose.test_compose import clean_env, compose_config
from tests.support.platform import free_port, wait_until

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTMANAGER = ROOT / "deploy" / "alertmanager"
HERE = Path(__file__).parent


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def render(out: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """deploy/alertmanager/render.sh as the container runs it, with only ``variables`` set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERT_")}
    return run("sh", str(ALERTMANAGER / "render.sh"), str(ALERTMANAGER / "alertmanager.yml"),
               str(out), env={**env, **variables})


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_config_and_rules_and_every_alert_fires_in_its_test() -> None:
    checked = run("promtool", "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout
    rules = run("promtool", "check", "rules", str(PROMETHEUS / "alerts.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    tested = run("promtool", "test", "rules", str(HERE / "alerts_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # Every alert of the rules is shown firing there, and says what to do.
    test_file = yaml.safe_load((HERE / "alerts_test.yml").read_text())
    fired = {case["alertname"] for test in test_file["tests"]
             for case in test["alert_rule_test"] if case["exp_alerts"]}
    names = [rule["alert"] for rule in alerts()]
    assert sorted(fired) == sorted(names)
    for rule in alerts():
        assert rule["labels"]["severity"] in {"page", "warn"}, rule["alert"]
        assert {"summary", "runbook"} <= set(rule["annotations"]), rule["alert"]


def test_prometheus_scrapes_every_replica_the_exporters_and_rabbitmq_and_alerts() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    compose, _ = compose_config(clean_env())
    services = compose["services"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    # The services by DNS: every replica compose's DNS answers for a service name.
    (dns,) = jobs["coachops"]["dns_sd_configs"]
    assert dns["type"] == "A" and dns["port"] == 9100
    firsts = {"gateway", "cycles", "timetracking", "agreements", "reporting"}
    # With the ha profile's second instances, labelled with their first's service name.
    assert set(dns["names"]) == firsts | {f"{name}-2" for name in firsts}
    (second,) = [r for r in jobs["coachops"]["relabel_configs"] if r.get("regex")]
    matched = re.fullmatch(second["regex"], "cycles-2")
    assert matched and matched[1] == "cycles"
    (nodes,) = jobs["rabbitmq"]["dns_sd_configs"]
    assert set(nodes["names"]) == {"rabbitmq-2", "rabbitmq-3"} and nodes["port"] == 15692
    assert all(services[name]["environment"]["METRICS_PORT"] == "9100" for name in dns["names"])
    targets = {target for job in config["scrape_configs"]
               for static in job.get("static_configs", []) for target in static["targets"]}
    assert targets == {"postgres-exporter:9187", "rabbitmq:15692", "node-exporter:9100",
                       "alertmanager:9093"}
    assert all(target.partition(":")[0] in services for target in targets)
    (alerting,) = config["alerting"]["alertmanagers"]
    assert alerting["static_configs"][0]["targets"] == ["alertmanager:9093"]
    # RabbitMQ serves its own metrics: the plugin is enabled by the file compose mounts.
    mounts = [str(v) for v in services["rabbitmq"]["volumes"]]
    assert any("/etc/rabbitmq/enabled_plugins" in m for m in mounts), mounts
    plugins = (ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_prometheus" in plugins
    # Nothing of the monitoring is published beyond this machine.
    assert [str(p).split(":")[0] for p in services["alertmanager"]["ports"]] == ["127.0.0.1"]
    for name in ("postgres-exporter", "node-exporter"):
        assert "ports" not in services[name], name


def test_amtool_accepts_the_config_with_a_webhook_or_email_and_none_is_refused(
        tmp_path: Path) -> None:
    webhook = tmp_path / "webhook.yml"
    assert render(webhook, ALERT_WEBHOOK_URL="https://chat.example.org/hooks/a?b=1&c='d'"
                  ).returncode == 0
    email = tmp_path / "email.yml"
    assert render(email, ALERT_EMAIL_TO="it@district.example.org",
                  ALERT_EMAIL_FROM="coachops@district.example.org",
                  ALERT_SMTP_HOST="smtp.district.example.org:587", ALERT_SMTP_USER="coachops",
                  ALERT_SMTP_PASSWORD="p@ss/w0rd'%:").returncode == 0
    for config in (webhook, email):
        checked = run("amtool", "check-config", str(config))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "1 receivers" in checked.stdout
    receiver, = yaml.safe_load(webhook.read_text())["receivers"]
    assert receiver["webhook_configs"][0]["url"] == "https://chat.example.org/hooks/a?b=1&c='d'"
    assert "email_configs" not in receiver
    settings = yaml.safe_load(email.read_text())
    assert settings["global"]["smtp_auth_password"] == "p@ss/w0rd'%:"
    assert "webhook_configs" not in settings["receivers"][0]

    nowhere = render(tmp_path / "nowhere.yml")
    assert nowhere.returncode == 2
    assert "set ALERT_WEBHOOK_URL or ALERT_EMAIL_TO" in nowhere.stderr


class Webhook:
    """A district's webhook: records the JSON of every POST it receives."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Process:
    def __init__(self, name: str, command: list[str], log_dir: Path,
                 env: dict[str, str] | None = None) -> None:
        self.log = log_dir / f"{name}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            env=env)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[dict[str, Process]]:
    started: dict[str, Process] = {}
    try:
        yield started
    finally:
        for process in started.values():
            process.stop()


def scraped(url: str) -> str:
    return requests.get(url, timeout=5).text


def test_an_alert_goes_from_the_postgres_exporter_through_prometheus_and_alertmanager_to_the_webhook(  # noqa: E501
        tmp_path: Path, processes: dict[str, Process]) -> None:
    # The real PostgreSQL exporter against this machine's PostgreSQL, as compose runs it:
    # user and password apart from the address.
    exporter_port = free_port()
    processes["exporter"] = Process("postgres-exporter", [
        "prometheus-postgres-exporter", f"--web.listen-address=127.0.0.1:{exporter_port}",
    ], tmp_path, env={**os.environ, "DATA_SOURCE_URI": "127.0.0.1:5432/postgres?sslmode=disable",
                      "DATA_SOURCE_USER": "postgres", "DATA_SOURCE_PASS": ""})
    metrics = f"http://127.0.0.1:{exporter_port}/metrics"
    wait_until(lambda: "\npg_up 1\n" in scraped(metrics), timeout=30,
               what="the exporter to scrape PostgreSQL")
    assert "pg_database_size_bytes{datname=\"postgres\"" in scraped(metrics)

    # The real Alertmanager with deploy/alertmanager's config, its webhook this test's.
    webhook = Webhook()
    config = tmp_path / "alertmanager.yml"
    assert render(config, ALERT_WEBHOOK_URL=webhook.url).returncode == 0
    alertmanager_port = free_port()
    processes["alertmanager"] = Process("alertmanager", [
        "prometheus-alertmanager", f"--config.file={config}",
        f"--storage.path={tmp_path / 'alertmanager'}",
        f"--web.listen-address=127.0.0.1:{alertmanager_port}", "--cluster.listen-address=",
    ], tmp_path)

    # A real Prometheus scraping the exporter as the postgres job, its rules the real ones
    # and one that fires while PostgreSQL is up (the real ones fire only on trouble).
    rules = tmp_path / "test_rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "test", "rules": [{
        "alert": "PostgresScraped", "expr": 'pg_up{job="postgres"} == 1',
        "labels": {"severity": "page"},
        "annotations": {"summary": "the exporter answers", "runbook": "none"},
    }]}]}))
    prometheus_config = tmp_path / "prometheus.yml"
    prometheus_config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS / "alerts.yml"), str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
        "scrape_configs": [{"job_name": "postgres", "static_configs": [
            {"targets": [f"127.0.0.1:{exporter_port}"]}]}],
    }))
    prometheus_port = free_port()
    processes["prometheus"] = Process("prometheus", [
        "prometheus", f"--config.file={prometheus_config}",
        f"--storage.tsdb.path={tmp_path / 'prometheus'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    ], tmp_path)

    def delivered() -> list[dict[str, Any]]:
        return [alert for body in webhook.received for alert in body["alerts"]
                if alert["labels"]["alertname"] == "PostgresScraped"]

    # group_wait of a page: 10 s after Prometheus sends it.
    wait_until(delivered, timeout=90, interval=0.5, what="the alert at the webhook")
    assert {body["receiver"] for body in webhook.received} == {"district-it"}
    alert = delivered()[0]
    assert alert["status"] == "firing"
    assert alert["labels"]["job"] == "postgres"
    assert alert["annotations"]["summary"] == "the exporter answers"
    # PostgreSQL is up, so the real PostgresDown rule is loaded and quiet.
    answer = requests.get(f"http://127.0.0.1:{prometheus_port}/api/v1/rules", timeout=5).json()
    states = {rule["name"]: rule["state"] for group in answer["data"]["groups"]
              for rule in group["rules"]}
    assert states["PostgresDown"] == "inactive"
    assert states["PostgresScraped"] == "firing"
