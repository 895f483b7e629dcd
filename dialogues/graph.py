"""Mermaid diagrams of dialogues, generated from the files, for clinicians to review the flow."""

from __future__ import annotations

from dialogues.model import Dialogue, Step
from dialogues.texts import Context

_SHAPES = {
    "say": ('["', '"]'),
    "choose": ('{"', '"}'),
    "scale": ('{{"', '"}}'),
    "text": ('[/"', '"/]'),
    "pause": ('(["', '"])'),
    "call": ('[["', '"]]'),
    "end": ('(("', '"))'),
    "score": ('[("', '")]'),
    "branch": ('{"', '"}'),
}


def _label(step: Step, ctx: Context) -> str:
    if step.kind == "call":
        summary = f"→ {step.dialogue}"
    elif step.kind == "pause":
        summary = f"{step.seconds} s"
    elif step.kind == "score":
        summary = ", ".join(f"{f.name}{' (reversed)' if f.reverse else ''}" for f in step.facets)
    elif step.kind == "branch":
        summary = "?"
    elif step.say is not None:
        summary = step.say.render(ctx)
    else:
        summary = ""
    summary = summary.replace('"', "'").replace("\n", " ")
    if len(summary) > 60:
        summary = summary[:57].rstrip() + "…"
    return f"{step.id} · {step.kind}<br/>{summary}"


def mermaid(dialogue: Dialogue, locale: str = "fr") -> str:
    ctx = Context(locale="en" if locale == "en" else "fr")
    lines = [f"%% {dialogue.title.render(ctx)} — {dialogue.id} v{dialogue.version}", "flowchart TD"]
    for step in dialogue.steps.values():
        left, right = _SHAPES[step.kind]
        lines.append(f"    {step.id}{left}{_label(step, ctx)}{right}")
    lines.append(f"    START(( )) --> {dialogue.start}")
    for step in dialogue.steps.values():
        for option in step.options:
            label = option.label.render(ctx).replace('"', "'")
            lines.append(f'    {step.id} -->|"{label}"| {option.next}')
        for case in step.cases:
            lines.append(f'    {step.id} -->|"{case.known} known"| {case.next}')
        for branch in step.branches:
            lines.append(f'    {step.id} -->|"{branch.lo}–{branch.hi}"| {branch.next}')
        if step.next is not None:
            lines.append(f"    {step.id} --> {step.next}")
    return "\n".join(lines) + "\n"
