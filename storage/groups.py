"""Supervision groups in the database: settings and session state, members, agenda items, round answers, and
one-shot timers (reminders, phase ends, the guided pause's steps) claimed with a lease like check-in rows.

Topics, names and round words are free text: encrypted here, so nothing above sees a ciphertext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.bulk import chunks, is_postgres
from storage.crypto import Cipher
from storage.group_records import AgendaItem, GroupChanges, GroupRecord, GroupView, RoundAnswer
from storage.records import new_id
from storage.schedules import lease_due
from storage.tables import agenda_items, group_members, group_timers, groups, round_answers


@dataclass
class TimerRow:
    id: str
    group_id: str
    key: str
    due_at: datetime
    lease_owner: str | None


class GroupStore:
    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    # --- reading ----------------------------------------------------------------------------------------

    async def ids_by_chat(self, conn: AsyncConnection, chats: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for chunk in chunks(sorted(set(chats))):
            query = select(groups.c.id, groups.c.platform, groups.c.chat_key).where(
                tuple_(groups.c.platform, groups.c.chat_key).in_(chunk)
            )
            for row in await conn.execute(query):
                found[(row[1], row[2])] = row[0]
        return found

    async def ids_of_member(self, conn: AsyncConnection, platform: str, user_key: str) -> list[str]:
        query = (
            select(groups.c.id)
            .join(group_members, group_members.c.group_id == groups.c.id)
            .where(groups.c.platform == platform, group_members.c.user_key == user_key)
            .order_by(groups.c.created_at)
        )
        return [row[0] for row in await conn.execute(query)]

    async def views(
        self, conn: AsyncConnection, group_ids: Sequence[str], *, lock: bool = False
    ) -> dict[str, GroupView]:
        """The groups with their members, agenda and round answers; locked in id order on PostgreSQL, so two
        processes never change one group at once."""
        wanted = sorted(set(group_ids))
        if not wanted:
            return {}
        query = select(groups).where(groups.c.id.in_(wanted)).order_by(groups.c.id)
        if lock and is_postgres(conn):
            query = query.with_for_update()
        found = {r["id"]: GroupView(self._group(r)) for r in (await conn.execute(query)).mappings()}
        if not found:
            return {}
        ids = list(found)
        for row in await conn.execute(select(group_members).where(group_members.c.group_id.in_(ids))):
            found[row.group_id].members.add(row.user_key)
        query_items = select(agenda_items).where(agenda_items.c.group_id.in_(ids)).order_by(agenda_items.c.created_at)
        for r in (await conn.execute(query_items)).mappings():
            found[r["group_id"]].agenda.append(
                AgendaItem(
                    r["id"],
                    r["group_id"],
                    r["user_key"],
                    self.cipher.decrypt(r["text_enc"]),
                    self.cipher.decrypt(r["name_enc"]) if r["name_enc"] else None,
                    r["created_at"],
                    r["posted_at"],
                )
            )
        for r in (await conn.execute(select(round_answers).where(round_answers.c.group_id.in_(ids)))).mappings():
            found[r["group_id"]].answers.append(
                RoundAnswer(
                    r["group_id"],
                    r["session_id"],
                    r["round"],
                    r["user_key"],
                    r["score"],
                    self.cipher.decrypt(r["word_enc"]) if r["word_enc"] else None,
                    r["at"],
                )
            )
        return found

    @staticmethod
    def _group(r: Any) -> GroupRecord:
        return GroupRecord(
            id=r["id"],
            platform=r["platform"],
            chat_key=r["chat_key"],
            locale=r["locale"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            title=r["title"],
            settings=dict(r["settings"] or {}),
            state=dict(r["state"] or {}),
        )

    # --- writing ----------------------------------------------------------------------------------------

    async def flush(self, conn: AsyncConnection, changes: GroupChanges) -> None:
        for group in changes.groups.values():
            row = {
                "platform": group.platform,
                "chat_key": group.chat_key,
                "title": group.title,
                "locale": group.locale,
                "settings": group.settings,
                "state": group.state,
                "created_at": group.created_at,
                "updated_at": group.updated_at,
            }
            if group.id in changes.new_groups:
                await conn.execute(groups.insert().values(id=group.id, **row))
            else:
                await conn.execute(update(groups).where(groups.c.id == group.id).values(**row))
        removed = list(dict.fromkeys(changes.members_removed))
        for group_id, key in removed:
            for table in (group_members, agenda_items, round_answers):
                await conn.execute(delete(table).where(table.c.group_id == group_id, table.c.user_key == key))
        added = {(g, k): at for g, k, at in changes.members_added if (g, k) not in set(removed)}
        if added:
            existing: set[tuple[str, str]] = set()
            for chunk in chunks(sorted(added)):
                query = select(group_members.c.group_id, group_members.c.user_key).where(
                    tuple_(group_members.c.group_id, group_members.c.user_key).in_(chunk)
                )
                existing.update((r[0], r[1]) for r in await conn.execute(query))
            rows = [
                {"group_id": g, "user_key": k, "joined_at": at}
                for (g, k), at in added.items()
                if (g, k) not in existing
            ]
            if rows:
                await conn.execute(group_members.insert(), rows)
        if changes.agenda_new:
            await conn.execute(
                agenda_items.insert(),
                [
                    {
                        "id": a.id,
                        "group_id": a.group_id,
                        "user_key": a.user_key,
                        "text_enc": self.cipher.encrypt(a.text),
                        "name_enc": self.cipher.encrypt(a.name) if a.name else None,
                        "created_at": a.created_at,
                        "posted_at": a.posted_at,
                    }
                    for a in changes.agenda_new
                ],
            )
        for item_id, at in changes.agenda_posted:
            await conn.execute(update(agenda_items).where(agenda_items.c.id == item_id).values(posted_at=at))
        for group_id in changes.agenda_cleared:
            await conn.execute(
                delete(agenda_items).where(agenda_items.c.group_id == group_id, agenda_items.c.posted_at.is_not(None))
            )
        for answer in changes.answers:
            keys = (answer.group_id, answer.session_id, answer.round, answer.user_key)
            await conn.execute(
                delete(round_answers).where(
                    tuple_(
                        round_answers.c.group_id,
                        round_answers.c.session_id,
                        round_answers.c.round,
                        round_answers.c.user_key,
                    )
                    == keys
                )
            )
            await conn.execute(
                round_answers.insert().values(
                    group_id=answer.group_id,
                    session_id=answer.session_id,
                    round=answer.round,
                    user_key=answer.user_key,
                    score=answer.score,
                    word_enc=self.cipher.encrypt(answer.word) if answer.word else None,
                    at=answer.at,
                )
            )
        for group_id, session_id in changes.answers_cleared:
            await conn.execute(
                delete(round_answers).where(
                    round_answers.c.group_id == group_id, round_answers.c.session_id == session_id
                )
            )
        for group_id, key in changes.timers_cleared:
            await conn.execute(
                delete(group_timers).where(group_timers.c.group_id == group_id, group_timers.c.key == key)
            )
        for (group_id, key), due in changes.timers_set.items():
            await conn.execute(
                delete(group_timers).where(group_timers.c.group_id == group_id, group_timers.c.key == key)
            )
            await conn.execute(group_timers.insert().values(id=new_id(), group_id=group_id, key=key, due_at=due))

    # --- timers -----------------------------------------------------------------------------------------

    async def claim_timers(
        self, conn: AsyncConnection, now: datetime, limit: int, owner: str, lease: timedelta
    ) -> list[TimerRow]:
        """Lease up to `limit` due timers whose lease is free or lapsed (PostgreSQL: SKIP LOCKED)."""
        rows = await lease_due(conn, group_timers, group_timers.c.due_at, now, limit, owner, lease)
        return [TimerRow(r["id"], r["group_id"], r["key"], r["due_at"], r["lease_owner"]) for r in rows]

    async def take_timer(self, conn: AsyncConnection, timer_id: str, owner: str) -> bool:
        """Delete a claimed timer if this claim still holds it: True once, so a timer fires once."""
        result = await conn.execute(
            delete(group_timers).where(and_(group_timers.c.id == timer_id, group_timers.c.lease_owner == owner))
        )
        return result.rowcount == 1


async def forget_member(conn: AsyncConnection, platform: str, user_key: str) -> None:
    """/forget: the person's agenda items, round answers and memberships, in every group of their platform."""
    ids = select(groups.c.id).where(groups.c.platform == platform).scalar_subquery()
    for table in (agenda_items, round_answers, group_members):
        await conn.execute(delete(table).where(table.c.user_key == user_key, table.c.group_id.in_(ids)))


async def member_data(conn: AsyncConnection, cipher: Cipher, platform: str, user_key: str) -> list[dict[str, Any]]:
    """/export: for each group the person is known in, what Phare keeps of them there, decrypted."""
    query = (
        select(groups.c.id, groups.c.title, group_members.c.joined_at)
        .join(group_members, group_members.c.group_id == groups.c.id)
        .where(groups.c.platform == platform, group_members.c.user_key == user_key)
        .order_by(groups.c.created_at)
    )
    found: dict[str, dict[str, Any]] = {
        row[0]: {"group": row[1] or "", "member_since": row[2].isoformat(), "agenda": [], "round_answers": []}
        for row in await conn.execute(query)
    }
    if not found:
        return []
    mine = select(agenda_items).where(agenda_items.c.user_key == user_key, agenda_items.c.group_id.in_(list(found)))
    for r in (await conn.execute(mine)).mappings():
        name = cipher.decrypt(r["name_enc"]) if r["name_enc"] else None
        posted = r["posted_at"].isoformat() if r["posted_at"] else None
        found[r["group_id"]]["agenda"].append(
            {"topic": cipher.decrypt(r["text_enc"]), "name_shown": name, "sent_at": r["created_at"].isoformat(),
             "posted_at": posted}
        )  # fmt: skip
    answers = select(round_answers).where(
        round_answers.c.user_key == user_key, round_answers.c.group_id.in_(list(found))
    )
    for r in (await conn.execute(answers)).mappings():
        word = cipher.decrypt(r["word_enc"]) if r["word_enc"] else None
        found[r["group_id"]]["round_answers"].append(
            {"round": r["round"], "score": r["score"], "word": word, "at": r["at"].isoformat()}
        )
    return list(found.values())
