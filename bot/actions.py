"""What /history and /export produce from stored records: plain functions, no I/O."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from babel.dates import format_date

from dialogues.loader import Library
from dialogues.markup import escape
from dialogues.numbers import shown
from dialogues.texts import Context
from storage.records import HistoryRecord, KeptNote, RunRecord, UserRecord


def history_text(library: Library, ctx: Context, entries: list[HistoryRecord]) -> str:
    if not entries:
        return library.text("history_empty").render(ctx)
    lines = [library.text("history_header").render(ctx)]
    for entry in entries:
        dialogue = library.dialogues.get(entry.dialogue_id)
        title = dialogue.title.render(ctx) if dialogue else escape(entry.dialogue_id)
        before = entry.measures.get("intensity_before")
        after = entry.measures.get("intensity_after")
        measure = f" · {before} → {after if after is not None else '…'}" if before is not None else ""
        score = entry.measures.get("selfcheck_total")
        if score is not None:  # the self-check's overall score, 1 to 5, as its results showed it
            measure += f" · {shown(float(score), ctx.locale)}/5"
        outcome = (
            ""
            if entry.outcome == "completed"
            else f" ({library.text('outcome_' + (entry.outcome or 'incomplete')).render(ctx)})"
        )
        day = format_date(entry.started_at, format="d MMM", locale=ctx.locale)
        lines.append(f"• {day} — {title}{measure}{outcome}")
    return "\n".join(lines)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def kept_text(library: Library, ctx: Context, collection: str, kept: list[KeptNote]) -> str:
    lines = [library.text(f"{collection}_header").render(ctx)]
    for note in kept:
        day = format_date(note.created_at, format="d MMM", locale=ctx.locale)
        lines.append(f"• {day} — {escape(note.text)}")  # what they wrote, shown as written
    return "\n".join(lines)


def export_data(
    user: UserRecord,
    entries: list[HistoryRecord],
    run: RunRecord | None,
    now: datetime,
    kept: list[KeptNote] | None = None,
) -> dict[str, Any]:
    """Everything stored about the user, decrypted: what GDPR's right of access asks for."""
    return {
        "exported_at": now.isoformat(),
        "user": {
            "platform": user.platform,
            "external_id": user.external_id,
            "language": user.locale,
            "address": user.address,
            "country": user.country,
            "timezone": user.timezone,
            "consent_version": user.consent_version,
            "consent_at": _iso(user.consent_at),
            "created_at": _iso(user.created_at),
            "settings": user.settings,
        },
        "history": [
            {
                "exercise": e.dialogue_id,
                "started_at": _iso(e.started_at),
                "ended_at": _iso(e.ended_at),
                "outcome": e.outcome,
                "measures": e.measures,
                "notes": e.notes,
            }
            for e in sorted(entries, key=lambda e: e.started_at)
        ],
        "kept": [{"list": k.collection, "created_at": _iso(k.created_at), "text": k.text} for k in (kept or [])],
        "current_exercise": (
            {"exercise": run.dialogue_id, "started_at": _iso(run.started_at), "state": run.state} if run else None
        ),
    }


def export_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def export_csv(data: dict[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["exercise", "started_at", "ended_at", "outcome", "measure", "value"])
    for entry in data["history"]:
        for name, value in sorted(entry["measures"].items()):
            writer.writerow([entry["exercise"], entry["started_at"], entry["ended_at"], entry["outcome"], name, value])
    return out.getvalue().encode()
