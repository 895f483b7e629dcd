"""What the writer remembers between batches on SQLite, where it is the only writer: users and their open runs,
so that an ordinary message costs no read. Crudely bounded; a miss only costs one read."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.records import RunRecord, UserRecord


@dataclass
class UserCache:
    users: dict[tuple[str, str], UserRecord] = field(default_factory=dict)
    runs: dict[str, RunRecord | None] = field(default_factory=dict)  # None: known to have no open run
    limit: int = 50_000

    def remember(
        self,
        users: dict[str, UserRecord],
        runs: dict[str, RunRecord],
        forgotten: set[str],
        blocked: list[str],
    ) -> None:
        if len(self.users) > self.limit:
            self.clear()  # crude bound on memory; a miss only costs one read
        if forgotten:
            for key in [k for k, u in self.users.items() if u.id in forgotten]:
                del self.users[key]
            for user_id in forgotten:
                self.runs.pop(user_id, None)
        for user in users.values():
            if user.id in forgotten:
                continue
            self.users[(user.platform, user.external_id)] = user
            self.runs[user.id] = runs.get(user.id)
        if blocked:  # rare: scan the cache only when someone blocked Phare in this batch
            for user in self.users.values():
                if user.id in blocked:
                    user.active = False

    def clear(self) -> None:
        self.users.clear()
        self.runs.clear()
