"""CPU per RPC call, nameko's publishing against the kept producers (issue 23, lever 6),
and per command check, a schema made per request against the one kept per process.

Counted in CPU, not timed, so that other work on the machine disturbs it less: the caller's
CPU per call (this process: a nameko container whose entrypoint calls an echo service
``--calls`` times) and the echo service's (its own process, from /proc), rounds of each
side in turn. One side is nameko's ``RpcProxy`` calling a service with nameko's ``rpc``,
the other ``coachops.rpc``'s proxy and entrypoint (its requests and answers on kept
producers), both with a publisher confirm per message::

    .venv/bin/python -m bench.rpc_calls --amqp-uri amqp://guest:guest@127.0.0.1:5672/VHOST

The vhost must exist (a scratch one: the queues it declares are left there).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before nameko and kombu, as nameko run does

import argparse  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from nameko import rpc as nameko_rpc  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.testing.services import dummy, entrypoint_hook  # noqa: E402

from bench.probes import cpu_seconds  # noqa: E402
from coachops import rpc as kept_rpc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# A time entry as the gateway sends it: the caller, then the checked command.
BODY = ({"id": "3f7c1d2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f", "role": "coach"},
        {"entry_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
         "coach_id": "3f7c1d2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f",
         "school_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "worked_on": "2026-11-30",
         "start": "07:00", "end": "07:30", "category_id": "modelling"})


class NamekoEcho:
    name = "bench_rpc_nameko"

    @nameko_rpc.rpc
    def echo(self, actor: Any, command: Any) -> Any:
        return command


class KeptEcho:
    name = "bench_rpc_kept"

    @kept_rpc.rpc
    def echo(self, actor: Any, command: Any) -> Any:
        return command


class Caller:
    name = "bench_rpc_caller"

    nameko = nameko_rpc.RpcProxy("bench_rpc_nameko")
    kept = kept_rpc.RpcProxy("bench_rpc_kept")

    @dummy
    def call(self, side: str, calls: int) -> None:
        proxy = getattr(self, side)
        for _ in range(calls):
            proxy.echo(*BODY)


def schema_checks(calls: int) -> dict[str, float]:
    """CPU ms per check of a time entry: a schema made each time, and the kept one."""
    from coachops.commands.timetracking import RecordTimeEntry
    from gateway.routes import validated

    def made_each_time() -> None:
        schema = RecordTimeEntry()
        schema.dump(schema.load(BODY[1]))

    spent = {}
    for name, check in (("schema made per request", made_each_time),
                        ("schema kept", lambda: validated(RecordTimeEntry, BODY[1]))):
        began = time.process_time()
        for _ in range(calls):
            check()
        spent[name] = (time.process_time() - began) * 1000 / calls
    return spent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.rpc_calls", description=__doc__)
    p.add_argument("--amqp-uri", required=True)
    p.add_argument("--calls", type=int, default=1000, help="calls per round")
    p.add_argument("--rounds", type=int, default=6, help="rounds of each side, in turn")
    args = p.parse_args(argv)
    config = {"AMQP_URI": args.amqp_uri, "max_workers": 10}
    from coachops.serve import NAMEKO
    server = subprocess.Popen(
        [sys.executable, "-c", NAMEKO, "run", "bench.rpc_calls", "--broker", args.amqp_uri],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    logging.disable(logging.ERROR)  # the first calls fail until the service is up
    container = ServiceContainer(Caller, config)
    container.start()
    results: dict[str, dict[str, list[float]]] = {}
    try:
        with entrypoint_hook(container, "call") as call:
            for side in ("nameko", "kept"):  # both answer before anything is counted
                deadline = time.monotonic() + 60
                while True:
                    try:
                        call(side, 1)
                        break
                    except Exception:
                        if time.monotonic() > deadline:
                            raise
                        eventlet.sleep(0.5)
                call(side, 100)
            for _ in range(args.rounds):
                for side in ("nameko", "kept"):
                    server_before, began = cpu_seconds(server.pid) or 0.0, time.process_time()
                    call(side, args.calls)
                    caller = (time.process_time() - began) * 1000 / args.calls
                    callee = ((cpu_seconds(server.pid) or 0.0) - server_before) * 1000 / args.calls
                    results.setdefault(side, {}).setdefault("caller", []).append(caller)
                    results[side].setdefault("service", []).append(callee)
    finally:
        container.stop()
        server.terminate()
        server.wait(timeout=30)
    print(f"CPU ms per RPC call, median of {args.rounds} rounds of {args.calls:,} "
          "(min-max); a publisher confirm per message on both sides")
    for side, label in (("nameko", "nameko's publisher"), ("kept", "kept producers")):
        for where, values in results[side].items():
            print(f"  {label:20} {where:8} {statistics.median(values):.3f}"
                  f" ({min(values):.3f}-{max(values):.3f})")
    for name, ms in schema_checks(args.calls * 5).items():
        print(f"CPU ms per check of a time entry, {name}: {ms:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
