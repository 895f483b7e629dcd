"""The conversation core: what one message, tap or timer means for this user now. No I/O.

Given a user's record, their open run, one job and the time, the core decides what changes and what to send,
and names what must be read from storage (history, export, kept lists) as deferred replies. The writer
(bot/writer.py) loads the records, calls the core, and commits what it decided in one transaction per batch.
Nothing here imports asyncio, SQLAlchemy or a transport: it is tested without a database
(tests/test_core.py, and the click-through kit in bot/core/kit.py).
"""
