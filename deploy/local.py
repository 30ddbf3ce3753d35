"""Run the whole platform on one machine as plain processes, as district IT would with
compose but without Docker: each service is ``python -m coachops.serve <module>`` (``nameko
run --config deploy/nameko.yml <module>``) with its settings in the environment.

    python deploy/local.py demo     # start everything, load a demo district, keep running
    python deploy/local.py demo --instances 2   # two of every service and of the gateway
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from coachops import settings  # noqa: E402

SERVICES = ("agreements", "cycles", "reporting", "timetracking")  # each a package under services/
MODULES = {
    "gateway": "gateway.service:GatewayService",
    **{s: f"services.{s}.service" for s in SERVICES},
}


@dataclass
class ServiceProcess:
    """One service as a real process; its output goes to ``log_dir/<name>.<n>.log``."""

    name: str
    env: dict[str, str]
    log_dir: Path
    command: list[str] | None = None  # default: coachops.serve (nameko run) with MODULES[name]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.{self.starts}.log"

    def start(self, **extra_env: str) -> None:
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            # As compose does: nameko run, with AMQP_URI assembled from its parts first.
            command = self.command or [sys.executable, "-m", "coachops.serve",
                                       MODULES[self.name]]
            self.process = subprocess.Popen(
                command,
                cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process is not None and self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop cleanly (SIGTERM lets nameko finish its workers); SIGKILL if it hangs."""
        if self.process is None or not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # its stacks into its log, to see why
            time.sleep(1)
            self.process.kill()
            self.process.wait(timeout=10)
            print(f"{self.name} did not stop within 30s of SIGTERM; killed. Its log ends:\n"
                  f"{self.log()[-6000:]}", file=sys.stderr, flush=True)


def instance_name(name: str, n: int) -> str:
    """The process name of a service's ``n``th instance: ``cycles``, ``cycles-2``, ..."""
    return name if n == 1 else f"{name}-{n}"


@dataclass
class Platform:
    """The gateway and every service, started together and stopped together.

    ``instances`` of each (two: what a district that must not stop runs): the services'
    instances share their queues as competing consumers and one of them relays each store's
    events (``coachops.bus.leadership``); the gateways share one port (eventlet binds with
    SO_REUSEPORT, so the kernel spreads connections over them, as a proxy in front would).
    """

    log_dir: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    names: tuple[str, ...] = ("gateway", *SERVICES)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    # Where each process serves /metrics (none when empty), as compose's METRICS_PORT does;
    # by process name (``cycles-2`` for a second instance).
    metrics_ports: dict[str, int] = field(default_factory=dict)
    instances: int = 1

    @property
    def url(self) -> str:
        port = self.env.get("GATEWAY_ADDRESS", "0.0.0.0:8000").rpartition(":")[2]
        return f"http://127.0.0.1:{port}"

    def start(self) -> None:
        try:
            for n in range(1, self.instances + 1):
                for name in self.names:
                    process = ServiceProcess(instance_name(name, n), self.env, self.log_dir,
                                             command=self._command(name))
                    self.processes[process.name] = process
                    port = self.metrics_ports.get(process.name)
                    process.start(**({"METRICS_PORT": str(port)} if port else {}))
            self.wait_ready()
        except BaseException:
            self.stop()  # leave no orphan holding a port with stale code
            raise

    @staticmethod
    def _command(name: str) -> list[str]:
        return [sys.executable, "-m", "coachops.serve", MODULES[name]]

    def of(self, name: str) -> list[ServiceProcess]:
        """Every instance of service ``name`` (the gateway's too), the first first."""
        return [self.processes[instance_name(name, n)] for n in range(1, self.instances + 1)]

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes.values():
                if not process.alive():
                    raise RuntimeError(f"{process.name} exited:\n{process.log()[-3000:]}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        logs = "\n".join(f"--- {p.name}\n{p.log()[-2000:]}" for p in self.processes.values())
        raise TimeoutError(f"platform not ready after {timeout}s\n{logs}")

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.processes[name]


def stop_on_signals() -> None:
    """SIGTERM (a service manager, ``kill``) and SIGHUP (a closed terminal) stop the demo as
    Ctrl-C does, so ``finally`` stops every service instead of leaving them as orphans."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def demo(instances: int = 1) -> None:
    from deploy.demo import load_demo_district

    stop_on_signals()
    first = settings.current().demo_metrics_port
    names = [instance_name(name, n) for n in range(1, instances + 1)
             for name in ("gateway", *SERVICES)]
    platform = Platform(log_dir=ROOT / "var" / "log", instances=instances,
                        metrics_ports={name: first + n for n, name in enumerate(names)})
    each = "" if instances == 1 else f"{instances} of each of "
    print(f"starting {each}gateway, " + ", ".join(SERVICES) + " ...", flush=True)
    try:
        platform.start()
        load_demo_district(platform.url)
        print(f"\ncoachops is running: gateway {platform.url} "
              f"(try {platform.url}/readyz); logs in {platform.log_dir}. Ctrl-C stops it.\n"
              "metrics (Prometheus): " + ", ".join(
                  f"{name} http://127.0.0.1:{port}/metrics"
                  for name, port in platform.metrics_ports.items()), flush=True)
        while all(p.alive() for p in platform.processes.values()):
            time.sleep(1)
        print("a service exited; see its log", file=sys.stderr)
    except KeyboardInterrupt as stopped:
        print(f"stopping ({stopped or 'Ctrl-C'}) ...", file=sys.stderr, flush=True)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the stop short
        platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["demo"])
    parser.add_argument("--instances", type=int, choices=(1, 2, 3), default=1,
                        help="how many of every service and of the gateway (default 1)")
    args = parser.parse_args()
    settings.start()  # the services' settings: a bad one stops here, not in four logs
    demo(args.instances)


if __name__ == "__main__":
    main()
