"""Fictional US phone numbers: 555 exchange, area codes of one region."""

from __future__ import annotations

import random

_AREA_CODES = ("217", "309", "618", "815")


def phone_number(rng: random.Random) -> str:
    return f"({rng.choice(_AREA_CODES)}) 555-{rng.randrange(10000):04d}"
