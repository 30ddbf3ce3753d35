"""Start one service as ``nameko run --config deploy/nameko.yml MODULE``, with nameko's
``AMQP_URI`` the one the settings assemble (``AMQP_PASSWORD`` escaped into it), so a broker
password of any characters reaches RabbitMQ as it is.

    python -m coachops.serve services.cycles.service

nameko reads its config file before it imports the service, so the URI is put into the
environment here first; then this process becomes nameko (``exec``: same pid, same
signals). A bad setting stops it with one line, as ``coachops.settings.start`` does.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from coachops import settings

CONFIG = str(Path(__file__).resolve().parents[1] / "deploy" / "nameko.yml")


def nameko() -> str:
    beside = Path(sys.executable).with_name("nameko")
    return str(beside) if beside.exists() else (shutil.which("nameko") or "nameko")


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        print("usage: python -m coachops.serve MODULE (e.g. services.cycles.service)",
              file=sys.stderr)
        raise SystemExit(settings.EXIT_STATUS)
    configured = settings.start()  # each service checks the secrets it uses once started
    # AMQP_PASSWORD may stay set: put into this URI again, it gives the same URI.
    environ = {**os.environ, "AMQP_URI": configured.amqp_uri}
    command = [nameko(), "run", "--config", CONFIG, argv[0]]
    os.execve(command[0], command, environ)


if __name__ == "__main__":
    main(sys.argv[1:])
