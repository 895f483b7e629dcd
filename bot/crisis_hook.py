"""Where the safety layer is found: one function, so the app and the tests load the same one."""

from __future__ import annotations

from bot.care.detector import CrisisDetector
from bot.safety import SafetyCheck


def load_safety() -> SafetyCheck:
    detector: SafetyCheck = CrisisDetector.load()
    return detector
