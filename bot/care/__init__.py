"""Care: the checks every message goes through before any dialogue sees it (crisis, patient identifiers)."""
