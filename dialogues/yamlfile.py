"""Reading the YAML files Phare is made of (dialogues, catalogs, countries, crisis rules) with libyaml's C
parser when PyYAML has it: the pure-Python one takes about a second for the dialogues alone, most of start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same tags and resolver as safe_load


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
