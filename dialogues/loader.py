"""Load dialogue files and catalogs, and reject anything a run could trip on, naming file and step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from dialogues.model import (
    ACTIONS,
    COLLECTIONS,
    PROFILE_KEYS,
    STEP_KINDS,
    Branch,
    Case,
    Dialogue,
    EffectSpec,
    Facet,
    Option,
    Step,
    StepKind,
)
from dialogues.texts import LOCALES, Text, TextError, parse_text, placeholders
from dialogues.validators import VALIDATOR_FLAGS, VALIDATORS
from dialogues.yamlfile import read_yaml

DIALOGUE_DIR = Path(__file__).resolve().parent
# group_name: the supervision group a private dialogue is for (set by bot/core/groups.py when it starts one).
GROUP_CATALOG = "_groups.yaml"
BUILTIN_VARS = frozenset({"operator_contact", "group_name"})


class DialogueError(Exception):
    """Every problem found in a set of files, one line each, so one run of the checker shows them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class _Collector:
    source: str
    problems: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def text(self, where: str, raw: object) -> Text | None:
        try:
            return parse_text(raw)
        except TextError as exc:
            self.add(where, str(exc))
            return None


def _effects(col: _Collector, where: str, raw: object) -> tuple[EffectSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        col.add(where, "effects must be a list")
        return ()
    found: list[EffectSpec] = []
    for item in raw:
        if not isinstance(item, dict):
            col.add(where, "each effect is a mapping with `set`+`value` or `action`")
        elif "set" in item:
            if item["set"] not in PROFILE_KEYS:
                col.add(where, f"unknown setting {item['set']!r}; known: {sorted(PROFILE_KEYS)}")
            found.append(EffectSpec(set=str(item["set"]), value=str(item.get("value"))))
        elif "action" in item:
            if item["action"] not in ACTIONS:
                col.add(where, f"unknown action {item['action']!r}; known: {sorted(ACTIONS)}")
            found.append(EffectSpec(action=str(item["action"])))
        else:
            col.add(where, "an effect needs `set` and `value`, or `action`")
    return tuple(found)


_STEP_FIELDS: dict[str, set[str]] = {
    "say": {"next", "continue"},
    "choose": {"options", "options_from", "options_next", "save"},
    "scale": {"min", "max", "save", "measure", "branches", "next"},
    "text": {"save", "next", "max_length", "optional", "collect", "validate"},
    "score": {"facets", "min", "max", "save", "measure", "next"},
    "branch": {"cases", "next"},
    "pause": {"seconds", "next", "done"},
    "call": {"dialogue", "next"},
    "end": {"outcome", "offer"},
}
_COMMON_FIELDS = {"kind", "say", "help", "effects"}


def _int(col: _Collector, where: str, raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        col.add(where, f"{key} must be a whole number")
        return default
    return value


def _step(col: _Collector, step_id: str, raw: object) -> Step | None:
    where = f"step {step_id}"
    if not isinstance(raw, dict):
        col.add(where, "a step is a mapping")
        return None
    kind = raw.get("kind")
    if kind not in STEP_KINDS:
        col.add(where, f"unknown kind {kind!r}; kinds: {', '.join(STEP_KINDS)}")
        return None
    unknown = set(raw) - _COMMON_FIELDS - _STEP_FIELDS[kind]
    if unknown:
        col.add(where, f"field(s) {sorted(unknown)} do not belong to a {kind} step")
    say = col.text(f"{where} say", raw["say"]) if "say" in raw else None
    help_ = col.text(f"{where} help", raw["help"]) if "help" in raw else None
    fields: dict[str, Any] = {
        "id": step_id,
        "kind": cast(StepKind, kind),
        "say": say,
        "help": help_,
        "next": raw.get("next"),
        "effects": _effects(col, where, raw.get("effects")),
        "save": raw.get("save"),
    }
    if kind in ("say", "text", "pause", "call", "scale") and "next" in raw and not isinstance(raw["next"], str):
        col.add(where, "next must be a step id")
    if kind == "say":
        if "continue" in raw:
            fields["continue_label"] = col.text(f"{where} continue", raw["continue"])
        if say is None:
            col.add(where, "a say step needs `say`")
    elif kind == "choose":
        options = raw.get("options")
        if raw.get("options_from") == "countries":
            options = country_options(raw.get("options_next"), options)
        if not isinstance(options, list) or not options:
            col.add(where, "a choose step needs a non-empty list of options")
            options = []
        parsed: list[Option] = []
        seen: set[str] = set()
        for index, opt in enumerate(options, start=1):
            owhere = f"{where} option {index}"
            if not isinstance(opt, dict):
                col.add(owhere, "an option is a mapping with id, label and next")
                continue
            oid, nxt = opt.get("id"), opt.get("next")
            if not isinstance(oid, str) or not oid:
                col.add(owhere, "option without id")
                continue
            if oid in seen:
                col.add(owhere, f"option id {oid!r} used twice")
            seen.add(oid)
            if not isinstance(nxt, str):
                col.add(f"{where} option {oid}", "option without target (next)")
                continue
            label = col.text(f"{where} option {oid} label", opt.get("label"))
            effects = _effects(col, f"{where} option {oid}", opt.get("effects"))
            locale = opt.get("locale")
            if locale is not None and locale not in LOCALES:
                col.add(f"{where} option {oid}", f"locale is one of {list(LOCALES)} (the option shows only then)")
                locale = None
            if label is not None:
                parsed.append(Option(id=oid, label=label, next=nxt, effects=effects, locale=locale))
        for unshown in [lang for lang in LOCALES if parsed and not any(o.locale in (None, lang) for o in parsed)]:
            col.add(where, f"no option is shown in {unshown}")
        fields["options"] = tuple(parsed)
        if say is None:
            col.add(where, "a choose step needs `say` (the question)")
    elif kind == "scale":
        lo, hi = _int(col, where, raw, "min", 0), _int(col, where, raw, "max", 10)
        fields.update(min=lo, max=hi, measure=raw.get("measure"))
        if lo >= hi:
            col.add(where, "min must be below max")
        if not isinstance(raw.get("save"), str):
            col.add(where, "a scale step needs `save` (the name of the number)")
        branches: list[Branch] = []
        for braw in raw.get("branches") or []:
            rng = braw.get("range") if isinstance(braw, dict) else None
            nxt = braw.get("next") if isinstance(braw, dict) else None
            if (
                not isinstance(rng, list)
                or len(rng) != 2
                or not all(isinstance(x, int) for x in rng)
                or not isinstance(nxt, str)
            ):
                col.add(where, "each branch is `range: [lo, hi]` and `next`")
                continue
            branches.append(Branch(lo=rng[0], hi=rng[1], next=nxt))
        fields["branches"] = tuple(branches)
        covered = [n for n in range(lo, hi + 1) for b in branches if b.lo <= n <= b.hi]
        if len(covered) != len(set(covered)):
            col.add(where, "scale branches overlap")
        if raw.get("next") is None and set(covered) != set(range(lo, hi + 1)):
            missing = sorted(set(range(lo, hi + 1)) - set(covered))
            col.add(where, f"no branch for {missing} and no default next")
        if say is None:
            col.add(where, "a scale step needs `say` (the question)")
    elif kind == "text":
        fields["max_length"] = _int(col, where, raw, "max_length", 1000)
        fields["optional"] = bool(raw.get("optional", False))
        if "collect" in raw:
            if raw["collect"] not in COLLECTIONS:
                col.add(where, f"collect is one of {sorted(COLLECTIONS)}")
            fields["collect"] = raw["collect"]
        if "validate" in raw:
            if raw["validate"] not in VALIDATORS:
                col.add(where, f"validate is one of {list(VALIDATORS)}")
            elif "collect" in raw:
                col.add(where, "a validated answer is a setting, not a note: it cannot be collected")
            fields["validate"] = raw["validate"]
        if not isinstance(raw.get("save"), str):
            col.add(where, "a text step needs `save` (the name of the answer)")
        if say is None:
            col.add(where, "a text step needs `say` (the question)")
    elif kind == "score":
        fields.update(min=_int(col, where, raw, "min", 1), max=_int(col, where, raw, "max", 5))
        fields["measure"] = raw.get("measure")
        facets_raw = raw.get("facets")
        facets: list[Facet] = []
        if not isinstance(facets_raw, dict) or not facets_raw:
            col.add(where, "a score step needs `facets`: name -> {items: [...], reverse: true|false}")
            facets_raw = {}
        for name, spec in facets_raw.items():
            items = spec.get("items") if isinstance(spec, dict) else None
            if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
                col.add(where, f"facet {name}: `items` is a list of saved scale values")
                continue
            facets.append(Facet(str(name), tuple(items), bool(spec.get("reverse", False))))
        fields["facets"] = tuple(facets)
        if not isinstance(raw.get("save"), str):
            col.add(where, "a score step needs `save` (the name of the total)")
    elif kind == "branch":
        cases: list[Case] = []
        for craw in raw.get("cases") or []:
            if (
                not isinstance(craw, dict)
                or not isinstance(craw.get("known"), str)
                or not isinstance(craw.get("next"), str)
            ):
                col.add(where, "each case is `known: <value name>` and `next`")
                continue
            cases.append(Case(craw["known"], craw["next"]))
        if not cases:
            col.add(where, "a branch step needs `cases`")
        fields["cases"] = tuple(cases)
    elif kind == "pause":
        fields["seconds"] = _int(col, where, raw, "seconds", 0)
        if fields["seconds"] <= 0:
            col.add(where, "a pause needs `seconds` above 0")
        if "done" in raw:
            fields["done"] = col.text(f"{where} done", raw["done"])
    elif kind == "call":
        if not isinstance(raw.get("dialogue"), str):
            col.add(where, "a call step needs `dialogue`")
        fields["dialogue"] = raw.get("dialogue")
    elif kind == "end":
        outcome = raw.get("outcome", "completed")
        if outcome not in ("completed", "incomplete"):
            col.add(where, "outcome is completed or incomplete")
            outcome = "completed"
        offer = raw.get("offer") or []
        if not isinstance(offer, list) or not all(isinstance(x, str) for x in offer):
            col.add(where, "offer is a list of dialogue ids")
            offer = []
        fields.update(outcome=outcome, offer=tuple(offer))
    if kind in ("say", "text", "pause", "call", "score", "branch") and raw.get("next") is None:
        col.add(where, f"a {kind} step needs `next`")
    return Step(**fields)


def _check_graph(col: _Collector, dialogue: Dialogue) -> None:
    steps = dialogue.steps
    if dialogue.start not in steps:
        col.add("start", f"unknown step {dialogue.start!r}")
        return
    for step in steps.values():
        for target in step.targets():
            if target not in steps:
                col.add(f"step {step.id}", f"unknown step {target!r}")
    reachable: set[str] = set()
    todo = [dialogue.start]
    while todo:
        current = todo.pop()
        if current in reachable or current not in steps:
            continue
        reachable.add(current)
        todo.extend(steps[current].targets())
    for step_id in steps:
        if step_id not in reachable:
            col.add(f"step {step_id}", "unreachable from the start step")
    ends = {s.id for s in steps.values() if s.kind == "end"}
    if not ends:
        col.add("steps", "no end step")
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for step in steps.values():
            if step.id not in can_end and any(t in can_end for t in step.targets()):
                can_end.add(step.id)
                changed = True
    for step_id in reachable - can_end:
        col.add(f"step {step_id}", "dead end: no end step can be reached from here")
    saved = {s.save for s in steps.values() if s.save}
    saved |= {f"{s.save}_label" for s in steps.values() if s.save and s.validate}  # the value as shown back
    saved |= {f"{s.save}_{flag}" for s in steps.values() if s.save and s.validate
              for flag in VALIDATOR_FLAGS.get(s.validate, ())}  # fmt: skip
    saved |= {f.name for s in steps.values() for f in s.facets}
    known = saved | BUILTIN_VARS
    scales = {s.save for s in steps.values() if s.kind == "scale" and s.save}
    for step in steps.values():
        for facet in step.facets:
            for item in facet.items:
                if item not in scales:
                    col.add(f"step {step.id}", f"facet {facet.name}: {item!r} is not saved by a scale step")
        for case in step.cases:
            if case.known not in saved and not case.known.startswith("prev_"):
                col.add(f"step {step.id}", f"case on unknown value {case.known!r}")
    _check_instant_loops(col, steps)
    for step in steps.values():
        for spec in (*step.effects, *(e for o in step.options for e in o.effects)):
            for name in placeholders(spec.value or "") - known:
                col.add(f"step {step.id}", f"effect value uses unknown value {{{name}}} (no step saves it)")
        texts = [step.say, step.help, step.done]
        for text in texts:
            if text is None:
                continue
            for variant in text.variants().values():
                for name in {p for p in placeholders(variant) - known if not p.startswith("prev_")}:
                    col.add(f"step {step.id}", f"unknown value {{{name}}} (no step saves it)")


def _check_instant_loops(col: _Collector, steps: dict[str, Step]) -> None:
    """A loop of steps that never wait would spin forever: reject it at load."""
    instant = {sid for sid, s in steps.items() if not s.waits() and s.kind not in ("end", "call")}
    state: dict[str, int] = {}

    def visit(sid: str) -> bool:
        state[sid] = 1
        for target in steps[sid].targets():
            if target in instant and (state.get(target) == 1 or (target not in state and visit(target))):
                return True
        state[sid] = 2
        return False

    for sid in sorted(instant):
        if sid not in state and visit(sid):
            col.add(f"step {sid}", "a loop of steps that never wait for the user")
            return


def load_dialogue(path: Path) -> Dialogue:
    col = _Collector(source=path.name)
    try:
        raw = read_yaml(path)
    except yaml.YAMLError as exc:
        raise DialogueError([f"{path.name}: not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise DialogueError([f"{path.name}: a dialogue file is a mapping"])
    did = raw.get("id")
    if did != path.stem:
        col.add("id", f"id {did!r} must equal the file name {path.stem!r}")
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        col.add("version", "version must be a whole number from 1")
        version = 1
    title = col.text("title", raw.get("title"))
    summary = col.text("summary", raw.get("summary"))
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, dict) or not raw_steps:
        col.add("steps", "a dialogue needs steps")
        raw_steps = {}
    steps: dict[str, Step] = {}
    for step_id, step_raw in raw_steps.items():
        step = _step(col, str(step_id), step_raw)
        if step is not None:
            steps[str(step_id)] = step
    start = raw.get("start")
    if not isinstance(start, str):
        col.add("start", "a dialogue needs `start`")
        start = ""
    if col.problems or title is None or summary is None:
        raise DialogueError(col.problems or [f"{path.name}: incomplete"])
    dialogue = Dialogue(
        id=str(did),
        version=version,
        title=title,
        summary=summary,
        start=start,
        steps=steps,
        listed=bool(raw.get("listed", True)),
        source=path.name,
    )
    _check_graph(col, dialogue)
    if col.problems:
        raise DialogueError(col.problems)
    return dialogue


def load_catalog(path: Path) -> dict[str, Text]:
    """A catalog file: a flat mapping of message keys to texts (the engine's and the application's own)."""
    col = _Collector(source=path.name)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise DialogueError([f"{path.name}: a catalog is a mapping of keys to texts"])
    texts: dict[str, Text] = {}
    for key, value in raw.items():
        text = col.text(str(key), value)
        if text is not None:
            texts[str(key)] = text
    if col.problems:
        raise DialogueError(col.problems)
    return texts


@dataclass(frozen=True)
class Library:
    """Every dialogue and catalog, cross-checked: calls and offers name dialogues that exist."""

    dialogues: Mapping[str, Dialogue]
    catalog: Mapping[str, Text]
    # Texts posted to a whole group (the `_groups.yaml` catalog, dialogues whose id begins with `group_`):
    # their French "vous" speaks to several people, so they have no "tu" form.
    plural: frozenset[str] = frozenset()

    def get(self, dialogue_id: str) -> Dialogue:
        return self.dialogues[dialogue_id]

    def text(self, key: str) -> Text:
        return self.catalog[key]

    def listed(self) -> list[Dialogue]:
        return [d for d in self.dialogues.values() if d.listed]


def _check_library(dialogues: Mapping[str, Dialogue]) -> list[str]:
    problems: list[str] = []
    calls: dict[str, set[str]] = {d: set() for d in dialogues}
    for dialogue in dialogues.values():
        for step in dialogue.steps.values():
            if step.kind == "call" and step.dialogue:
                if step.dialogue not in dialogues:
                    problems.append(f"{dialogue.source}: step {step.id}: calls unknown dialogue {step.dialogue!r}")
                else:
                    calls[dialogue.id].add(step.dialogue)
            for offered in step.offer:
                if offered not in dialogues:
                    problems.append(f"{dialogue.source}: step {step.id}: offers unknown dialogue {offered!r}")

    def cycle_from(start: str, node: str, seen: frozenset[str]) -> bool:
        for callee in calls.get(node, ()):
            if callee == start or (callee not in seen and cycle_from(start, callee, seen | {callee})):
                return True
        return False

    for did in dialogues:
        if cycle_from(did, did, frozenset({did})):
            problems.append(f"{dialogues[did].source}: calls lead back to {did!r} (a call cycle)")
    return problems


def load_library(directory: Path = DIALOGUE_DIR, extra: Iterable[Path] = ()) -> Library:
    problems: list[str] = []
    dialogues: dict[str, Dialogue] = {}
    catalog: dict[str, Text] = {}
    plural: set[str] = set()
    for path in sorted(directory.glob("*.yaml")) + list(extra):
        try:
            if path.name.startswith("_"):
                for key, text in load_catalog(path).items():
                    if key in catalog:
                        problems.append(f"{path.name}: {key}: key defined twice")
                    catalog[key] = text
                    if path.name == GROUP_CATALOG:
                        plural.add(key)
            else:
                dialogue = load_dialogue(path)
                dialogues[dialogue.id] = dialogue
        except DialogueError as exc:
            problems.extend(exc.problems)
    problems.extend(_check_library(dialogues))
    if problems:
        raise DialogueError(problems)
    plural.update(d for d in dialogues if d.startswith("group_"))
    return Library(dialogues=dialogues, catalog=catalog, plural=frozenset(plural))


def country_options(target: object, extra: object) -> list[dict[str, Any]]:
    """`options_from: countries`: one option per country of dialogues/data/countries.yaml, in its order, each
    setting the country and going to `next`, then the step's own `options` (e.g. "another country")."""
    from dialogues.countries import countries

    generated: list[dict[str, Any]] = [
        {
            "id": code.lower(),
            "label": {"en": country.name.en, "fr_vous": country.name.fr_vous, "fr_tu": country.name.fr_tu},
            "next": target,
            "effects": [{"set": "country", "value": code}],
        }
        for code, country in countries().items()
    ]
    return generated + (list(extra) if isinstance(extra, list) else [])
