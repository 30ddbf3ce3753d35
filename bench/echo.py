"""The floor a single command cannot beat (issue 23, lever 6): a bare nameko HTTP entrypoint
that hands the request's JSON to a bare nameko RPC service, which sends it back. Nothing of
coachops is in it (no token, no schema, no store, no relay): only what every command pays
for being an HTTP request answered over nameko RPC. It runs as one process with the
platform's nameko config (``deploy/nameko.yml``: the same ``max_workers``) on the
benchmark's vhost, and the load generator drives it with the same time entries, processes
and threads as ``POST /time-entries`` (``load.Job`` in mode ``echo``), in the same run, so
the single commands' rate is reported as a ratio to it. Started by ``bench.phases.echo_floor``.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from werkzeug import Request

from bench.load import ECHO_PATH


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, body: Any) -> Any:
        return body


class EchoHttp:
    name = "bench_echo_http"

    echo_service = RpcProxy("bench_echo")

    @http("POST", ECHO_PATH)
    def echo(self, request: Request) -> tuple[int, str]:
        return 201, json.dumps(self.echo_service.echo(json.loads(request.get_data())))
