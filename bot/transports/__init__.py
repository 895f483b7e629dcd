"""Transports: each turns platform updates into `Incoming` messages for the writer and delivers `Delivery`
objects (bot/messages.py) back. The contract is bot/transports/base.py; nothing here reaches storage."""
