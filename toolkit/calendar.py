"""Business days: weekdays that are not holidays of the facility's calendar."""

from __future__ import annotations

import datetime as dt
import functools


@functools.lru_cache(maxsize=16)
def holiday_calendar(setting: str):
    """Return the ``holidays`` calendar for a setting such as ``US`` or ``US-OH``.

    Raises ValueError naming the problem when the country or subdivision is
    not known to the ``holidays`` package.
    """
    import holidays

    country, _, subdivision = setting.strip().partition("-")
    country = country.upper()
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f'"{setting}" is not a known country code. Use a code such as US, or none.')
    if subdivision and subdivision.upper() not in supported[country]:
        raise ValueError(f'"{setting}": {subdivision} is not a known subdivision of {country}.')
    return holidays.country_holidays(country, subdiv=subdivision.upper() or None)


class BusinessCalendar:
    """Counts business days, skipping weekends and the configured holidays."""

    def __init__(self, setting: str):
        self.holidays = None if setting.strip().casefold() == "none" else holiday_calendar(setting)
        # Many rows share a start date, and each holiday lookup is a Python call in
        # the holidays package, so results are kept per start date and count.
        self._added: dict[tuple[dt.date, int], dt.date] = {}

    def is_business_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5:
            return False
        return self.holidays is None or day not in self.holidays

    def add_business_days(self, start: dt.date, days: int) -> dt.date:
        """Return the date ``days`` business days after ``start``.

        ``start`` itself is not counted, so 5 business days after a Monday
        with no holidays is the next Monday.
        """
        result = self._added.get((start, days))
        if result is None:
            result = self._added[start, days] = self._count_business_days(start, days)
        return result

    def _count_business_days(self, start: dt.date, days: int) -> dt.date:
        day = start
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day
