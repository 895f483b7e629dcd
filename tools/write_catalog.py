"""Write a catalog YAML from a Python dict, putting French non-breaking spaces where typography wants them.

Used once by developers to produce `dialogues/_*.yaml`; the YAML files are what clinicians review.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml

NBSP = "\u00a0"


def typeset_fr(text: str) -> str:
    text = re.sub(r" ([;:!?»])", NBSP + r"\1", text)
    return re.sub(r"« ", "«" + NBSP, text)


def typeset(entry: dict[str, str]) -> dict[str, str]:
    return {k: (typeset_fr(v) if k.startswith("fr") else v) for k, v in entry.items()}


def dump(catalog: dict[str, Any], path: str, header: str) -> None:
    out = {k: typeset(v) for k, v in catalog.items()}
    body = yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=110)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header + body)


if __name__ == "__main__":
    sys.exit("import this module")
