"""Write a dialogue YAML from Python data with French typography applied (developer tool)."""

from __future__ import annotations

from typing import Any

import yaml

from write_catalog import typeset_fr

TEXT_FIELDS = {"say", "help", "continue", "done", "label", "title", "summary"}


def _walk(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        if key in TEXT_FIELDS and set(node) <= {"en", "fr", "fr_vous", "fr_tu"}:
            return {k: (typeset_fr(v) if k.startswith("fr") else v) for k, v in node.items()}
        return {k: _walk(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, key) for v in node]
    return node


def dump(dialogue: dict[str, Any], path: str, header: str) -> None:
    body = yaml.safe_dump(_walk(dialogue), allow_unicode=True, sort_keys=False, width=110)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + body)
