"""Phare's storage: SQLAlchemy 2 async over SQLite (default) or PostgreSQL, free text encrypted at rest."""
