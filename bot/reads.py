"""Replies that read storage (/history, /export, the private lists), written by the writer inside the batch's
transaction, after its messages, so they see the batch's own changes too. The core only names them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot import actions
from bot.chart_pool import ChartPool, ChartRequest
from bot.core.jobs import ACTION_PREFIX
from bot.core.speaker import Speaker
from bot.messages import Attachment, Button, Outgoing
from storage.records import Changes, HistoryRecord, OutboxRecord, RunRecord, UserRecord, ordered_id
from storage.repo import Repository


class Reads:
    def __init__(self, repo: Repository, speaker: Speaker, charts: ChartPool) -> None:
        self.repo = repo
        self.speaker = speaker
        self.charts = charts

    async def fill(
        self,
        conn: AsyncConnection,
        deferred: list[tuple[str, str, str]],
        users: dict[str, UserRecord],
        runs: dict[str, RunRecord],
        changes: Changes,
        now: datetime,
    ) -> list[ChartRequest]:
        """Replace each placeholder (outbox id, what, user id) by the messages it stands for, in place. Returns
        the charts to draw once the batch has committed (bot/chart_pool.py): never inside the transaction."""
        if not deferred:
            return []
        wanted: list[ChartRequest] = []
        outbox = changes.outbox_new
        position = {record.id: index for index, record in enumerate(outbox)}
        expanded: dict[int, list[OutboxRecord]] = {}
        for record_id, name, user_id in deferred:
            user = users.get(user_id)
            index = position[record_id]
            record = outbox[index]
            if user is None or user_id in changes.forgotten:
                expanded[index] = []
                continue
            messages = await self._messages(conn, changes, name, user, runs.get(user_id), now, record, wanted)
            expanded[index] = [replace(record, id=ordered_id(), payload=m.to_dict()) for m in messages]
        rebuilt: list[OutboxRecord] = []
        for index, record in enumerate(outbox):
            rebuilt.extend(expanded.get(index, [record]))
        # New ids sort after the old ones: hand them out again in list order so each chat's order holds.
        ids = sorted(r.id for r in rebuilt)
        changes.outbox_new = [replace(r, id=i) for r, i in zip(rebuilt, ids, strict=True)]
        return wanted

    async def _messages(
        self, conn: AsyncConnection, changes: Changes, name: str, user: UserRecord, run: RunRecord | None,
        now: datetime, record: OutboxRecord, wanted: list[ChartRequest],
    ) -> list[Outgoing]:  # fmt: skip
        speaker = self.speaker
        ctx = speaker.ctx(user)
        if name in ("supervision_notes", "letters", "clear_supervision"):
            collection = "letters" if name == "letters" else "supervision"
            if name == "clear_supervision":
                await self.repo.clear_kept(conn, user.id, collection)
                changes.kept_new = [
                    k for k in changes.kept_new if not (k.user_id == user.id and k.collection == collection)
                ]
                return [speaker.text("supervision_cleared", user)]
            kept = await self.repo.kept_of(conn, user.id, collection)
            kept += [k for k in changes.kept_new if k.user_id == user.id and k.collection == collection]
            if not user.consented:
                return [speaker.text("history_no_consent", user)]
            if not kept:
                return [speaker.text(f"{collection}_empty", user)]
            text = actions.kept_text(speaker.library, ctx, collection, kept)
            if collection == "supervision":
                clear = Button(ACTION_PREFIX + "clear_supervision", speaker.render("clear_supervision", user), "app")
                return [Outgoing(text, (clear,))]
            return [Outgoing(text)]
        stored = await self.repo.history_of(conn, user.id)
        fresh = [h for h in changes.history_new.values() if h.user_id == user.id]
        entries = sorted(fresh + [e for e in stored if e.id not in changes.history_new],
                         key=lambda e: e.started_at, reverse=True)  # fmt: skip
        if name == "history":
            if not user.consented:
                return [speaker.text("history_no_consent", user)]
            return [Outgoing(actions.history_text(speaker.library, ctx, entries[:10])),
                    *self._history_chart(user, entries, now, record, wanted)]  # fmt: skip
        kept_all = await self.repo.kept_of(conn, user.id)
        data = actions.export_data(user, entries, run, now, kept_all)
        from storage.groups import member_data

        data["supervision_groups"] = await member_data(conn, self.repo.cipher, user.platform, user.external_id)
        stamp = now.strftime("%Y%m%d")
        return [
            speaker.text("export_ready", user),
            Outgoing(
                "", attachment=Attachment(f"phare-export-{stamp}.json", "application/json", actions.export_json(data))
            ),
            Outgoing("", attachment=Attachment(f"phare-measures-{stamp}.csv", "text/csv", actions.export_csv(data))),
        ]

    def _history_chart(
        self, user: UserRecord, entries: list[HistoryRecord], now: datetime, record: OutboxRecord,
        wanted: list[ChartRequest],
    ) -> list[Outgoing]:  # fmt: skip
        """/history's chart of the last four weeks (bot/charts.py): its data now, the picture drawn in another
        process after the commit and sent after the text. When too many charts wait, "try again in a minute"."""
        from bot import charts

        data = charts.chart_data(self.speaker.library, self.speaker.ctx(user), user, entries, now)
        if not data.checkins and not data.exercises and not data.selfchecks:
            return []
        if self.charts.waiting(user.id) or any(w.user_id == user.id for w in wanted):
            return []  # the chart already on its way is the same one
        if self.charts.room() <= len(wanted):
            self.charts.refused += 1
            return [self.speaker.text("chart_busy", user)]
        wanted.append(ChartRequest(user.id, record.platform, record.chat_key, data, now))
        return []
