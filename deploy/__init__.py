
import coachops  # noqa: F401  (first: its warning filter, before nameko imports eventlet)
