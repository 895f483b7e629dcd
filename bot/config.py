"""Configuration from PHARE_* environment variables (and a .env file), checked at start."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.access import Access
from bot.contact import contacts_by_locale
from bot.retry import DEFAULT_RETRY, RetryPolicy
from storage.db import normalise_url, sqlite_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHARE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".phare"), description="where SQLite, the key file and the crypto stores live")
    database_url: str | None = Field(None, description="postgresql://… to share work between processes")
    secret_key: SecretStr | None = Field(None, description="encryption key (phare keygen); required with PostgreSQL")
    old_secret_keys: str = Field("", description="comma-separated older keys, still readable after a rotation")
    operator_contact: str = Field(
        "", description="who runs this instance and how to reach them, shown at onboarding and in /about"
    )
    operator_contact_fr: str | None = Field(None, description="the contact shown to French speakers (else the above)")
    operator_contact_en: str | None = Field(None, description="the contact shown to English speakers (else the above)")
    retention_days: int | None = Field(
        None,
        ge=1,
        description="history, kept notes and crisis facts older than this many days are deleted; unset: kept",
    )
    default_locale: str = Field("fr", description="language when the platform does not say")
    log_level: str = "INFO"
    log_format: str = Field("text", description="text (readable) or json (one object per line)")
    http_listen: str | None = Field(None, description="HOST:PORT for /healthz, /readyz and /metrics; unset: off")
    allowed_users: str = Field("", description="comma-separated user ids (or platform:id); empty = open to all")
    invite_codes: SecretStr = Field(SecretStr(""), description="comma-separated codes: `/start CODE` admits a user")
    checkin_grace: timedelta = Field(
        timedelta(hours=2), description="a check-in missed by less (downtime) is sent late; older ones are skipped"
    )
    checkin_rate: float = Field(25.0, description="check-ins committed per second, all processes together")
    checkin_tick: float = Field(1.0, description="seconds between two claims of due check-ins")
    checkin_lease: timedelta = Field(timedelta(minutes=5), description="a claim not committed by then is retried")
    takeover_interval: float = Field(
        2.0, gt=0, description="seconds between two tries of a replica to take over a connection another one owns"
    )
    retry_base: float = Field(0.5, description="seconds before the first retry of a send, a poll or a sync; doubles")
    retry_max: float = Field(60.0, description="the longest wait between two retries, in seconds")
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = None
    telegram_webhook_url: str | None = Field(None, description="public HTTPS URL for updates; unset: polling")
    telegram_webhook_secret: SecretStr | None = Field(None, description="checked on each webhook call; random if unset")
    telegram_webhook_listen: str = Field("127.0.0.1", description="address the webhook server listens on")
    telegram_webhook_port: int = Field(8443, description="port the webhook server listens on")
    telegram_rate_overall: float = Field(30.0, description="messages per second to Telegram, all chats together")
    telegram_rate_private: float = Field(1.0, description="messages per second in one private chat (bursts of 3)")
    telegram_rate_group: int = Field(20, description="messages per minute in one group")

    matrix_homeserver: str | None = Field(None, description="https://matrix.example.org; set to serve Matrix")
    matrix_user: str | None = Field(None, description="the bot's account, @phare:example.org")
    matrix_password: SecretStr | None = Field(None, description="its password (login, cross-signing setup)")
    matrix_access_token: SecretStr | None = Field(None, description="instead of a password: a token of one device")
    matrix_device_name: str = Field("Phare", description="name of the bot's device, shown to its contacts")
    matrix_allowed_inviters: str = Field(
        "", description="who may invite the bot: @user:server, *:server, server; empty = the bot's own server"
    )
    matrix_catchup_hours: float = Field(24.0, description="after downtime, answer messages up to this old")
    matrix_command_prefix: str = Field("!phare", description="how people address Phare in group rooms")
    matrix_device_trust: str = Field("tofu", description="tofu or all: which devices receive room keys")
    matrix_cross_signing: str = Field("auto", description="auto, reset or off: cross-signing of the bot's device")
    matrix_encrypt_new_rooms: bool = Field(True, description="direct chats Phare opens are end-to-end encrypted")

    @field_validator("checkin_grace", "checkin_lease", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """Durations as people write them: 7200 (seconds), 2h, 90m, 45s, or ISO 8601 (PT2H)."""
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hms]?)\s*", value.lower())
            if match:
                unit = {"h": 3600, "m": 60, "s": 1, "": 1}[match.group(2)]
                return timedelta(seconds=float(match.group(1)) * unit)
        return value

    _retry: RetryPolicy = PrivateAttr(DEFAULT_RETRY)

    @model_validator(mode="after")
    def _retry_policy(self) -> Settings:
        # Built here, once, so that a bad value stops Phare at start rather than at the first failure.
        try:
            self._retry = RetryPolicy(base=self.retry_base, max_delay=self.retry_max)
        except ValueError as exc:
            raise ValueError(f"PHARE_RETRY_BASE={self.retry_base}, PHARE_RETRY_MAX={self.retry_max}: {exc}") from None
        return self

    @property
    def retry(self) -> RetryPolicy:
        """The one retry policy every loop that sends, polls or syncs waits by."""
        return self._retry

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.lower() not in ("text", "json"):
            raise ValueError("PHARE_LOG_FORMAT is text or json")
        return value.lower()

    @field_validator("http_listen")
    @classmethod
    def _http_listen(cls, value: str | None) -> str | None:
        if value:
            from bot.health import parse_listen

            parse_listen(value)
        return value or None

    _operator_contacts: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _contact_per_language(self) -> Settings:
        # Resolved once, here: each language's own contact, else PHARE_OPERATOR_CONTACT (bot/contact.py).
        self._operator_contacts = contacts_by_locale(
            self.operator_contact, fr=self.operator_contact_fr, en=self.operator_contact_en
        )
        return self

    @property
    def operator_contacts(self) -> Mapping[str, str]:
        """The contact shown to a reader of each language ("" where none is configured)."""
        return self._operator_contacts

    @model_validator(mode="after")
    def _postgres_needs_key(self) -> Settings:
        if self.database_url and normalise_url(self.database_url).startswith("postgresql") and not self.secret_key:
            raise ValueError(
                "PHARE_SECRET_KEY is required with PostgreSQL: every process must share it. "
                "Create one with `phare keygen` and set it in each process's environment."
            )
        return self

    def access(self) -> Access:
        def split(raw: str) -> frozenset[str]:
            return frozenset(part.strip() for part in raw.split(",") if part.strip())

        return Access(allowed=split(self.allowed_users), invite_codes=split(self.invite_codes.get_secret_value()))

    @property
    def db_url(self) -> str:
        return normalise_url(self.database_url) if self.database_url else sqlite_url(self.data_dir)
