"""Business days and the cache of holiday dates.

US federal holidays used here: in 2026, Independence Day (Saturday July 4) is
observed on Friday July 3 and Thanksgiving is Thursday November 26. New Year's
Day 2022 fell on a Saturday, so it was observed on Friday December 31, 2021.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from toolkit.calendar import BusinessCalendar, HolidayDates, calendar_problem


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("HANDOFF_CACHE_DIR", str(folder))
    return folder


def test_us_holidays_2026_include_observed_days(cache):
    dates = HolidayDates("US").of_year(2026)
    assert dt.date(2026, 7, 3) in dates
    assert dt.date(2026, 11, 26) in dates
    assert dt.date(2026, 12, 25) in dates
    assert dt.date(2026, 12, 24) not in dates


def test_new_year_observed_in_previous_year(cache):
    assert dt.date(2021, 12, 31) in HolidayDates("US").of_year(2021)


def test_business_days_skip_thanksgiving(cache):
    calendar = BusinessCalendar("US")
    # Wednesday November 25 plus one business day skips Thanksgiving to Friday.
    assert calendar.add_business_days(dt.date(2026, 11, 25), 1) == dt.date(2026, 11, 27)
    assert BusinessCalendar("none").add_business_days(dt.date(2026, 11, 25), 1) == dt.date(2026, 11, 26)


def test_first_use_writes_cache_file(cache):
    HolidayDates("us").of_year(2026)
    content = json.loads((cache / "holidays-US.json").read_text(encoding="utf-8"))
    assert content["calendar"] == "US"
    assert "2026-11-26" in content["years"]["2026"]
    assert content["holidays version"]


RUN_ONCE = """
import datetime as dt, sys
from toolkit.calendar import BusinessCalendar
day = BusinessCalendar("US").add_business_days(dt.date(2026, 11, 25), 1)
print(day.isoformat(), "holidays" in sys.modules)
"""


def test_second_process_reads_cache_not_package(cache):
    environment = {**os.environ, "HANDOFF_CACHE_DIR": str(cache)}
    runs = [
        subprocess.run([sys.executable, "-c", RUN_ONCE], capture_output=True, text=True, env=environment,
                       check=True).stdout.split()
        for _ in range(2)
    ]
    assert runs[0] == ["2026-11-27", "True"]
    assert runs[1] == ["2026-11-27", "False"]


def test_cache_of_other_version_is_replaced(cache):
    cache.mkdir()
    stale = {"holidays version": "0.0-old", "calendar": "US", "years": {"2026": ["2026-11-27"]}}
    (cache / "holidays-US.json").write_text(json.dumps(stale), encoding="utf-8")
    dates = HolidayDates("US").of_year(2026)
    assert dt.date(2026, 11, 27) not in dates
    assert dt.date(2026, 11, 26) in dates
    rewritten = json.loads((cache / "holidays-US.json").read_text(encoding="utf-8"))
    assert rewritten["holidays version"] != "0.0-old"


def test_damaged_cache_file_is_replaced(cache):
    cache.mkdir()
    (cache / "holidays-US.json").write_text("{not json", encoding="utf-8")
    assert dt.date(2026, 11, 26) in HolidayDates("US").of_year(2026)
    assert json.loads((cache / "holidays-US.json").read_text(encoding="utf-8"))["calendar"] == "US"


def test_empty_cache_setting_turns_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDOFF_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dt.date(2026, 11, 26) in HolidayDates("US").of_year(2026)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_cache_folder_still_works(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("HANDOFF_CACHE_DIR", str(blocker / "cache"))
    assert dt.date(2026, 7, 3) in HolidayDates("US").of_year(2026)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_unknown_calendars_are_reported_not_cached(cache):
    assert "not a known country code" in calendar_problem("XX")
    assert "not a known subdivision of US" in calendar_problem("US-ZZ")
    assert not cache.exists()


def test_known_calendars_have_no_problem(cache):
    assert calendar_problem("US-OH") is None
    assert calendar_problem("none") is None
    assert (cache / "holidays-US-OH.json").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_pipe_in_place_of_cache_file_is_ignored(cache):
    cache.mkdir()
    os.mkfifo(cache / "holidays-US.json")
    assert dt.date(2026, 11, 26) in HolidayDates("US").of_year(2026)
