"""The time-tracking service: where coaches' time goes, in categories the district sets."""
