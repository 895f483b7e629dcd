"""Configuration from PHARE_* environment variables (and a .env file), checked at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.access import Access
from storage.db import normalise_url, sqlite_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHARE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".phare"), description="where SQLite, the key file and the crypto stores live")
    database_url: str | None = Field(None, description="postgresql://… to share work between processes")
    secret_key: SecretStr | None = Field(None, description="encryption key (phare keygen); required with PostgreSQL")
    old_secret_keys: str = Field("", description="comma-separated older keys, still readable after a rotation")
    operator_contact: str = Field(
        "the person who runs this Phare instance (no contact configured)",
        description="who runs this instance and how to reach them, shown at onboarding and in /about",
    )
    default_locale: str = Field("fr", description="language when the platform does not say")
    log_level: str = "INFO"
    allowed_users: str = Field("", description="comma-separated user ids (or platform:id); empty = open to all")
    invite_codes: SecretStr = Field(SecretStr(""), description="comma-separated codes: `/start CODE` admits a user")
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = None

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
