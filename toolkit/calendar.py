"""Business days: weekdays that are not holidays of the facility's calendar.

The holidays package lists each country's holidays. Importing it and building
the US calendar took 0.2 s in a measured run, longer than the due rules take
on a 1,000-resident workbook, and the dates never change for a given version
of the package. So the holiday dates of each calendar are kept, year by year,
in a small JSON file in the cache folder (see ``cache_folder``). The package
is imported only for a calendar or a year the file does not contain, or after
the package is upgraded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
from pathlib import Path

# The shape of a Holidays setting that names a calendar: a country code with an
# optional subdivision ("US", "US-OH"). Only such settings are cached, so the
# setting can be part of a file name.
_CALENDAR_NAME = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,10})?")
_PACKAGE_VERSION = re.compile(r"holidays-([^-]+)\.dist-info")


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


def cache_folder() -> Path | None:
    """Return the folder of cached holiday dates, or None when caching is off.

    The folder is HANDOFF_CACHE_DIR when that is set (set to an empty value,
    it turns caching off), else ``handoff-toolkit`` in XDG_CACHE_HOME or in
    ``~/.cache``.
    """
    configured = os.environ.get("HANDOFF_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "handoff-toolkit"


@functools.lru_cache(maxsize=1)
def _package_version() -> str | None:
    """Return the installed holidays package's version without importing the package.

    The version is read from the name of the package's ``.dist-info`` folder,
    which pip writes beside it. None means it was not found, and nothing is cached.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("holidays")
        locations = list(spec.submodule_search_locations or []) if spec else []
        found = sorted(Path(locations[0]).parent.glob("holidays-*.dist-info")) if locations else []
    except (ImportError, OSError, ValueError):
        return None
    match = _PACKAGE_VERSION.fullmatch(found[0].name) if len(found) == 1 else None
    return match.group(1) if match else None


class HolidayDates:
    """The holiday dates of one calendar setting, year by year, from the cache file or the holidays package."""

    def __init__(self, setting: str):
        self.setting = setting.strip().upper()
        self._years: dict[int, frozenset[dt.date]] = {}
        self._cache_file: Path | None = None
        self._version: str | None = None
        self._cached: dict[str, list[str]] = {}
        folder = cache_folder()
        if folder is not None and _CALENDAR_NAME.fullmatch(self.setting):
            self._version = _package_version()
            if self._version:
                self._cache_file = folder / f"holidays-{self.setting}.json"
                self._cached = self._read_cache()

    def _read_cache(self) -> dict[str, list[str]]:
        """Return the cached dates by year, or nothing when the file is missing, unreadable or outdated."""
        try:
            if not self._cache_file.is_file():  # missing, or a folder, pipe or device in its place
                return {}
            content = json.loads(self._cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if (not isinstance(content, dict) or content.get("holidays version") != self._version
                or content.get("calendar") != self.setting or not isinstance(content.get("years"), dict)):
            return {}
        return content["years"]

    def is_known(self) -> bool:
        """Return True when the cache file shows that the setting names a calendar of the holidays package."""
        return bool(self._cached)

    def of_year(self, year: int) -> frozenset[dt.date]:
        """Return the holiday dates of ``year``, observed days included.

        Raises ValueError when the setting names no calendar of the holidays
        package.
        """
        dates = self._years.get(year)
        if dates is not None:
            return dates
        try:
            dates = frozenset(dt.date.fromisoformat(text) for text in self._cached[str(year)])
        except (KeyError, TypeError, ValueError):
            dates = self._from_package(year)
            self._store(year, dates)
        self._years[year] = dates
        return dates

    def _from_package(self, year: int) -> frozenset[dt.date]:
        import holidays

        holiday_calendar(self.setting)  # raises ValueError for a calendar the package does not have
        country, _, subdivision = self.setting.partition("-")
        # The neighbouring years are built too, because a holiday's observed day can
        # fall in the year before (New Year's Day on a Saturday is observed on December 31).
        years = range(max(year - 1, dt.MINYEAR), min(year + 1, dt.MAXYEAR) + 1)
        calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=years)
        return frozenset(day for day in calendar if day.year == year)

    def _store(self, year: int, dates: frozenset[dt.date]) -> None:
        """Add a year's dates to the cache file. A cache folder that cannot be written is left alone."""
        if self._cache_file is None:
            return
        self._cached[str(year)] = sorted(day.isoformat() for day in dates)
        content = {"holidays version": self._version, "calendar": self.setting, "years": self._cached}
        import tempfile  # only when the cache is written, not on every run that reads it

        temporary = None
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".holidays-", suffix=".part", dir=self._cache_file.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(content, out, indent=1, sort_keys=True)
            os.replace(temporary, self._cache_file)
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)


def holiday_dates(setting: str) -> HolidayDates:
    """Return the holiday dates of a Holidays setting, shared within the process.

    The Settings check, the background preparation and the due rules of one
    run all ask for the same calendar, so the cache file is read once.
    """
    return _shared_dates(setting.strip().upper(), cache_folder())


@functools.lru_cache(maxsize=16)
def _shared_dates(setting: str, folder: Path | None) -> HolidayDates:
    # The cache folder is part of the key, so a changed HANDOFF_CACHE_DIR gets its own dates.
    return HolidayDates(setting)


def calendar_problem(setting: str) -> str | None:
    """Return why a Holidays setting names no usable calendar, or None when it does."""
    if setting.strip().casefold() == "none":
        return None
    dates = holiday_dates(setting)
    if dates.is_known():
        return None
    try:
        dates.of_year(dt.date.today().year)  # also fills the cache for the next run
    except ValueError as error:
        return str(error)
    return None


class BusinessCalendar:
    """Counts business days, skipping weekends and the configured holidays."""

    def __init__(self, setting: str):
        self.holidays = None if setting.strip().casefold() == "none" else holiday_dates(setting)
        # Many rows share a start date, so results are kept per start date and count.
        self._added: dict[tuple[dt.date, int], dt.date] = {}

    def is_business_day(self, day: dt.date) -> bool:
        if day.weekday() >= 5:
            return False
        return self.holidays is None or day not in self.holidays.of_year(day.year)

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
