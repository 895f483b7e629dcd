"""Phare's dialogue engine: pure state machines over dialogue files (no I/O, no clock, no globals)."""
