"""The one name for a JSON object as it crosses RPC, the bus and HTTP."""

from typing import Any

Json = dict[str, Any]
