"""The gateway: the only way in. Translates HTTP into RPC calls; holds no domain logic."""
