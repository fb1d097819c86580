"""Weekly availability windows: HH:MM parsing and validation (RULES.md "Availability")."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from carepath.services.errors import validation

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
DAY_MINUTES = 24 * 60


def parse_clock(value: str, field: str) -> int:
    """'HH:MM' to minutes since local midnight; '24:00' ends a day."""
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise validation(field, "Use HH:MM, 24-hour clock (00:00 to 24:00).")
    minute = int(match.group(1)) * 60 + int(match.group(2))
    if minute > DAY_MINUTES:
        raise validation(field, "Use HH:MM, 24-hour clock (00:00 to 24:00).")
    return minute


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int
    start_minute: int
    end_minute: int


def parse_windows(windows: list[tuple[int, str, str]]) -> list[WeeklyWindow]:
    """Validated windows: weekday 1..7, start < end within one day, none overlapping."""
    parsed: list[WeeklyWindow] = []
    for index, (weekday, start, end) in enumerate(windows):
        path = f"windows.{index}"
        if not 1 <= weekday <= 7:
            raise validation(f"{path}.weekday", "Weekday is 1 (Monday) to 7 (Sunday).")
        start_minute = parse_clock(start, f"{path}.start")
        end_minute = parse_clock(end, f"{path}.end")
        if start_minute >= DAY_MINUTES:
            raise validation(f"{path}.start", "A window starts before 24:00.")
        if end_minute <= start_minute:
            raise validation(
                f"{path}.end", "A window ends after it starts; split windows at midnight."
            )
        parsed.append(WeeklyWindow(weekday, start_minute, end_minute))
    ordered = sorted(enumerate(parsed), key=lambda p: (p[1].weekday, p[1].start_minute))
    for (_, before), (index, after) in itertools.pairwise(ordered):
        if after.weekday == before.weekday and after.start_minute < before.end_minute:
            raise validation(f"windows.{index}.start", "Windows on the same day must not overlap.")
    return parsed
