"""Phare's application: configuration, writer, transports, CLI."""
