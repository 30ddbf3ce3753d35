"""The cycles service: coaching cycles, from goal to outcome."""
