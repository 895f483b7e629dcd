"""Phare's application: configuration, router, transports, CLI."""
