"""Who may use an instance: open by default; a practice may restrict it to its own clinicians."""

from __future__ import annotations

from dataclasses import dataclass

from storage.records import UserRecord


@dataclass(frozen=True)
class Access:
    """Who may use this instance: everyone (the default), or an allow-list and/or invite codes."""

    allowed: frozenset[str] = frozenset()  # "platform:id" or a bare id (any platform)
    invite_codes: frozenset[str] = frozenset()

    @property
    def open(self) -> bool:
        return not self.allowed and not self.invite_codes

    def admits(self, user: UserRecord) -> bool:
        if self.open or user.settings.get("invited"):
            return True
        return user.external_id in self.allowed or f"{user.platform}:{user.external_id}" in self.allowed
