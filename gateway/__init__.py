"""The gateway: the only way in. Translates HTTP into RPC calls; holds no domain logic."""

import coachops  # noqa: F401  (first: its warning filter, before nameko imports eventlet)
