"""The weekly review and the /history chart: a short text, and a PNG drawn with matplotlib (Agg, no display).

The picture is made for a phone: 1080 × 1350 px (portrait 4:5), text from 28 px up, dates written for the
user's language by Babel. Top: the daily check-ins (0–10) over the last four weeks. Then each exercise's
intensity before → after (0–10). The two scales point opposite ways (a high check-in is good, a high intensity
is heavy), so each axis says what its ends mean. When the self-check was taken in those weeks, a third panel
shows its overall score (1–5). `chart_data` is pure (what to draw, in words already translated); `render_png`
only draws.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date
from babel.numbers import format_decimal

from bot import checkins
from bot.messages import Attachment, Outgoing
from dialogues.loader import Library
from dialogues.texts import Context
from storage.records import HistoryRecord, UserRecord

WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 100
WEEKS = 4
CHECKIN_MEASURE = "checkin_mood"
SELFCHECK_MEASURE = "selfcheck_total"
DAY_SHIFT = 0.25  # several exercises on one day stand side by side, this many days apart
MARKER_MARGIN = 0.7  # days of room beyond the first and the last day, so no marker is cut at the edge
PALETTE = ("#1f6f8b", "#e07a5f", "#3d9970", "#8e6cc1", "#c9a227", "#5c6b73", "#d1495b")


@dataclass(frozen=True)
class Exercise:
    day: date
    label: str
    before: float
    after: float


@dataclass(frozen=True)
class ChartData:
    locale: str
    title: str
    checkin_title: str
    exercise_title: str
    checkin_axis: str
    exercise_axis: str
    selfcheck_title: str
    selfcheck_axis: str
    before_label: str
    after_label: str
    empty_checkins: str
    empty_exercises: str
    start: date
    end: date
    ticks: tuple[tuple[date, str], ...]
    checkins: tuple[tuple[date, float], ...] = ()
    exercises: tuple[Exercise, ...] = field(default=())
    selfchecks: tuple[tuple[date, float], ...] = ()  # the self-check's overall score (1–5), one per day


def _zone(user: UserRecord) -> str:
    return user.timezone or checkins.suggested_zone(user.country)


def chart_data(
    library: Library, ctx: Context, user: UserRecord, entries: list[HistoryRecord], now: datetime
) -> ChartData:
    tz = _zone(user)
    end = checkins.local_date(now, tz)
    start = end - timedelta(days=7 * WEEKS - 1)
    daily: dict[date, float] = {}
    selfchecks: dict[date, float] = {}
    done: list[Exercise] = []
    for entry in sorted(entries, key=lambda e: e.started_at):
        day = checkins.local_date(entry.started_at, tz)
        if not start <= day <= end:
            continue
        mood = entry.measures.get(CHECKIN_MEASURE)
        if mood is not None:
            daily[day] = float(mood)  # the last check-in of a day counts
        score = entry.measures.get(SELFCHECK_MEASURE)
        if score is not None and entry.outcome == "completed":
            selfchecks[day] = float(score)
        before, after = entry.measures.get("intensity_before"), entry.measures.get("intensity_after")
        if before is not None and after is not None:
            dialogue = library.dialogues.get(entry.dialogue_id)
            title = dialogue.title.render(ctx) if dialogue else entry.dialogue_id
            done.append(Exercise(day, title, float(before), float(after)))
    ticks = tuple(
        (start + timedelta(days=d), str(format_date(start + timedelta(days=d), format="d MMM", locale=ctx.locale)))
        for d in range(0, 7 * WEEKS, 7)
    ) + ((end, str(format_date(end, format="d MMM", locale=ctx.locale))),)
    text = library.text
    return ChartData(
        locale=ctx.locale,
        title=text("chart_title").render(ctx),
        checkin_title=text("chart_checkins").render(ctx),
        exercise_title=text("chart_exercises").render(ctx),
        checkin_axis=text("chart_checkins_axis").render(ctx),
        exercise_axis=text("chart_exercises_axis").render(ctx),
        selfcheck_title=text("chart_selfcheck").render(ctx),
        selfcheck_axis=text("chart_selfcheck_axis").render(ctx),
        before_label=text("chart_before").render(ctx),
        after_label=text("chart_after").render(ctx),
        empty_checkins=text("chart_no_checkins").render(ctx),
        empty_exercises=text("chart_no_exercises").render(ctx),
        start=start,
        end=end,
        ticks=ticks,
        checkins=tuple(sorted(daily.items())),
        exercises=tuple(done),
        selfchecks=tuple(sorted(selfchecks.items())),
    )


def render_png(data: ChartData) -> bytes:
    """Draw the chart. Thread-safe: the object-oriented API, one Figure per call, no pyplot state."""
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.suptitle(data.title, fontsize=30, fontweight="bold", x=0.06, ha="left", y=0.975)
    panels = 3 if data.selfchecks else 2
    grid = {"hspace": 0.42 if panels == 2 else 0.62, "top": 0.87, "bottom": 0.15, "left": 0.15, "right": 0.93,
            "height_ratios": [1, 1] if panels == 2 else [1, 1, 0.7]}  # fmt: skip
    axes = fig.subplots(panels, 1, gridspec_kw=grid)
    top, bottom = axes[0], axes[1]

    def date2num(day: date) -> float:  # days from the first one shown: plain numbers, our own tick labels
        return float((day - data.start).days)

    per_day = Counter(e.day for e in data.exercises)
    widest = DAY_SHIFT * (max(per_day.values(), default=1) - 1)  # the last day's exercises stand side by side
    lo, hi = date2num(data.start) - MARKER_MARGIN, date2num(data.end) + MARKER_MARGIN + widest

    def frame(ax: Axes, heading: str, axis: str, ticks: list[int], limits: tuple[float, float]) -> None:
        ax.set_title(heading, fontsize=24, loc="left", pad=16)
        ax.set_xlim(lo, hi)
        ax.set_ylim(*limits)
        ax.set_yticks(ticks)
        ax.set_ylabel(axis.replace(" · ", "\n"), fontsize=16, color="#555555", labelpad=8, linespacing=1.3)
        ax.set_xticks([date2num(d) for d, _ in data.ticks])
        ax.set_xticklabels([label for _, label in data.ticks])
        ax.tick_params(labelsize=20, length=6)
        ax.grid(axis="y", color="#dddddd", linewidth=1.2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    frame(top, data.checkin_title, data.checkin_axis, [0, 2, 4, 6, 8, 10], (-0.6, 10.6))
    frame(bottom, data.exercise_title, data.exercise_axis, [0, 2, 4, 6, 8, 10], (-0.6, 10.6))
    if data.checkins:
        xs = [date2num(d) for d, _ in data.checkins]
        ys = [v for _, v in data.checkins]
        top.plot(xs, ys, color=PALETTE[0], linewidth=3, alpha=0.5)
        top.scatter(xs, ys, s=160, color=PALETTE[0], zorder=3, clip_on=False)
    else:
        top.text(0.5, 0.5, data.empty_checkins, transform=top.transAxes, ha="center", va="center", fontsize=22,
                 color="#555555", wrap=True)  # fmt: skip
    if data.exercises:
        colours: dict[str, str] = {}
        placed: Counter[date] = Counter()
        for exercise in data.exercises:
            colour = colours.setdefault(exercise.label, PALETTE[len(colours) % len(PALETTE)])
            shift = DAY_SHIFT * placed[exercise.day]
            placed[exercise.day] += 1
            x = date2num(exercise.day) + shift
            if exercise.before != exercise.after:
                arrow = {"arrowstyle": "-|>", "color": colour, "lw": 3, "mutation_scale": 28}
                bottom.annotate("", xy=(x, exercise.after), xytext=(x, exercise.before), arrowprops=arrow,
                                annotation_clip=False)  # fmt: skip
            bottom.scatter([x], [exercise.before], s=170, facecolors="white", edgecolors=colour, linewidths=3, zorder=3,
                           clip_on=False)  # fmt: skip
            bottom.scatter([x], [exercise.after], s=170, color=colour, zorder=4, clip_on=False)
        handles = [Line2D([], [], color=c, linewidth=4, label=name) for name, c in colours.items()]
        handles += [
            Line2D([], [], marker="o", linestyle="", markersize=13, markerfacecolor="white", markeredgecolor="#333333",
                   markeredgewidth=2.5, label=data.before_label),
            Line2D([], [], marker="o", linestyle="", markersize=13, color="#333333", label=data.after_label),
        ]  # fmt: skip
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.06, 0.0), ncol=2, fontsize=20,
                   frameon=False, handlelength=1.6, columnspacing=1.4)  # fmt: skip
    else:
        bottom.text(0.5, 0.5, data.empty_exercises, transform=bottom.transAxes, ha="center", va="center",
                    fontsize=22, color="#555555", wrap=True)  # fmt: skip
    if data.selfchecks:
        panel = axes[2]
        frame(panel, data.selfcheck_title, data.selfcheck_axis, [1, 2, 3, 4, 5], (0.7, 5.3))
        xs = [date2num(d) for d, _ in data.selfchecks]
        ys = [v for _, v in data.selfchecks]
        panel.plot(xs, ys, color=PALETTE[3], linewidth=3, alpha=0.5)
        panel.scatter(xs, ys, s=160, marker="D", color=PALETTE[3], zorder=3, clip_on=False)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def image_message(png: bytes, now: datetime, *, scheduled: bool = False) -> Outgoing:
    name = f"phare-{now.strftime('%Y%m%d')}.png"
    return Outgoing("", attachment=Attachment(name, "image/png", png, kind="image"), scheduled=scheduled)


def _number(value: float, locale: str) -> str:
    return str(format_decimal(round(value, 1), format="#,##0.#", locale=locale))


def weekly_text(library: Library, ctx: Context, user: UserRecord, entries: list[HistoryRecord], now: datetime) -> str:
    """The week in a few lines: check-ins, exercises, intensity before → after. No streaks, no reproach."""
    text = library.text
    if not user.consented:
        return text("weekly_no_consent").render(ctx)
    tz = _zone(user)
    end = checkins.local_date(now, tz)
    start = end - timedelta(days=6)
    week = [e for e in entries if start <= checkins.local_date(e.started_at, tz) <= end]
    lines = [text("weekly_header").render(ctx)]
    moods = [float(e.measures[CHECKIN_MEASURE]) for e in week if CHECKIN_MEASURE in e.measures]
    if moods:
        # Counted in words ("1 check-in, at 3/10"): "1, 3/10" reads as one decimal number in French.
        values = {"count": len(moods), "mean": _number(sum(moods) / len(moods), ctx.locale),
                  "lo": _number(min(moods), ctx.locale), "hi": _number(max(moods), ctx.locale)}  # fmt: skip
        lines.append(text("weekly_checkins_one" if len(moods) == 1 else "weekly_checkins").render(ctx, values))
    exercises = [e for e in week if e.dialogue_id != checkins.PROMPT_DIALOGUE and e.outcome == "completed"]
    if exercises:
        names = Counter(
            library.dialogues[e.dialogue_id].title.render(ctx) if e.dialogue_id in library.dialogues else e.dialogue_id
            for e in exercises
        )
        listed = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in names.most_common())
        key = "weekly_exercises_one" if len(exercises) == 1 else "weekly_exercises"
        lines.append(text(key).render(ctx, {"count": len(exercises), "list": listed}))
        pairs = [(e.measures["intensity_before"], e.measures["intensity_after"]) for e in exercises
                 if "intensity_before" in e.measures and "intensity_after" in e.measures]  # fmt: skip
        if pairs:
            before = _number(sum(p[0] for p in pairs) / len(pairs), ctx.locale)
            after = _number(sum(p[1] for p in pairs) / len(pairs), ctx.locale)
            lines.append(text("weekly_intensity").render(ctx, {"before": before, "after": after}))
    if not moods and not exercises:
        lines.append(text("weekly_empty").render(ctx))
    lines.append(text("weekly_chart_caption").render(ctx))
    return "\n".join(lines)
