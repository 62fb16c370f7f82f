"""Read single cell values by the workbook's conventions.

Each ``parse_*`` function takes a value as the spreadsheet library returned it
(text, number, bool, date or datetime) and returns the typed value, or raises
``ValueError`` with a short reason. The caller handles blanks and
placeholders, because what they mean depends on the column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable

from toolkit.schema import PLACEHOLDERS

_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_UNUSUAL_SPACE = re.compile(r"[\t\u00a0\u2007\u202f]")

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?!\d)")
_MONTH_FIRST = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}|\d{2})(?!\d)")
_DAY_FIRST = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4}|\d{2})(?!\d)")
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?")

# Excel serial day numbers accepted as dates in a General-formatted cell:
# 1990-01-01 to 2099-12-31. Anything outside is far more likely a typo.
_SERIAL_MIN = 32874
_SERIAL_MAX = 73415
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def clean_text(value: object) -> str:
    """Return a cell value as text with outer and repeated spaces removed.

    Non-breaking spaces count as spaces. Line breaks inside the text are kept.
    Whole numbers read back as floats (``1007.0``) are written without the
    decimal part, so an ID typed as a number reads as typed.
    """
    if type(value) is str:  # most cells, so tested first
        text = value
        if "\n" not in text and "\r" not in text and "  " not in text and not _UNUSUAL_SPACE.search(text):
            return text.strip()
        return _clean_lines(text)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if "\n" not in text and "\r" not in text and "  " not in text and not _UNUSUAL_SPACE.search(text):
        return text.strip()
    return _clean_lines(text)


def has_unusual_space(text: str) -> bool:
    """Return True when the text contains a tab or a non-breaking space, which clean_text makes plain."""
    return _UNUSUAL_SPACE.search(text) is not None


def _clean_lines(text: str) -> str:
    """Return text with repeated and unusual spaces made single, line by line, and empty lines dropped."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line) if len(lines) > 1 else lines[0]


# Values quoted in messages are cut to this many characters.
MESSAGE_VALUE_LIMIT = 80


def for_message(text: str, limit: int = MESSAGE_VALUE_LIMIT) -> str:
    """Return cell text as quoted in a message: invisible characters shown, long text cut.

    A control character prints as its code (``\\x07``), so "Active" with a
    stray bell character does not look like a correct "Active".
    """
    parts = []
    for character in text:
        if character.isprintable():
            parts.append(character)
        elif ord(character) < 256:
            parts.append("\\x%02x" % ord(character))
        else:
            parts.append("\\u%04x" % ord(character))
    shown = "".join(parts)
    if len(shown) <= limit:
        return shown
    return shown[:limit - 1] + "…"


def is_placeholder(text: str) -> bool:
    """Return True when the text is a placeholder such as N/A or TBD, used in place of a missing value."""
    return text.casefold() in PLACEHOLDERS


def id_key(text: str) -> str:
    """Return the form of an ID used for matching: trimmed and case-folded."""
    return text.strip().casefold()


# What a personal detail is replaced by where it must not be shown.
WITHHELD = "[withheld]"


def fold_spaces(text: str) -> str:
    """Return text with runs of spaces made one space and case folded, for matching names."""
    return " ".join(text.split()).casefold()


def id_keys(texts: Iterable[str]) -> set[str]:
    """Return the set of ``id_key`` of each text, worked out at C speed for thousands of IDs."""
    return set(map(str.casefold, map(str.strip, texts)))


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


# Days between the 1900 and the 1904 date systems' day zero.
DATE_1904_OFFSET = 1462


def _serial_to_datetime(number: float, date1904: bool = False) -> dt.datetime:
    if date1904:
        number += DATE_1904_OFFSET
    if not _SERIAL_MIN <= number <= _SERIAL_MAX:
        raise ValueError("is a number, not a date")
    return _EXCEL_EPOCH + dt.timedelta(seconds=round(number * 86400))


def _parse_date_text(text: str, day_first: bool) -> tuple[dt.date, str]:
    """Parse the date at the start of ``text``; return it and the rest of the text."""
    lowered = text.casefold()
    match = _ISO_DATE.match(lowered)
    if match:
        year, month, day = (int(part) for part in match.groups())
    elif match := _SLASH_DATE.match(lowered):
        first, second, year_text = match.groups()
        month, day = (int(second), int(first)) if day_first else (int(first), int(second))
        year = _year(year_text)
    elif match := _MONTH_FIRST.match(lowered):
        month_name, day_text, year_text = match.groups()
        if month_name not in MONTHS:
            raise ValueError("is not a date")
        month, day, year = MONTHS[month_name], int(day_text), _year(year_text)
    elif match := _DAY_FIRST.match(lowered):
        day_text, month_name, year_text = match.groups()
        if month_name not in MONTHS:
            raise ValueError("is not a date")
        month, day, year = MONTHS[month_name], int(day_text), _year(year_text)
    else:
        raise ValueError("is not a date")
    try:
        return dt.date(year, month, day), lowered[match.end():]
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def _parse_time_text(text: str) -> dt.time:
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError("has a time that cannot be read")
    hour_text, minute_text, second_text, meridiem = match.groups()
    hour, minute = int(hour_text), int(minute_text or 0)
    second = int(second_text or 0)
    if minute_text is None and meridiem is None:
        raise ValueError("has a time that cannot be read")
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError("has a time that cannot be read")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("has a time that cannot be read")
    return dt.time(hour, minute, second)


def parse_date(value: object, day_first: bool = False, date1904: bool = False) -> dt.date:
    """Read a date column value; a date-time keeps only its date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError("is not a date")
    if isinstance(value, (int, float)):
        return _serial_to_datetime(value, date1904).date()
    text = clean_text(value)
    parsed, rest = _parse_date_text(text, day_first)
    if rest.strip():
        raise ValueError("is not a date")
    return parsed


def parse_datetime(value: object, day_first: bool = False, date1904: bool = False) -> dt.date | dt.datetime:
    """Read a date-time column value.

    Returns a naive ``datetime`` when a time is given and a plain ``date`` when
    only a date is, so callers can apply the start-of-day or end-of-day reading.
    """
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, bool):
        raise ValueError("is not a date-time")
    if isinstance(value, (int, float)):
        moment = _serial_to_datetime(value, date1904)
        return moment.date() if moment.time() == dt.time(0) else moment
    text = clean_text(value)
    parsed, rest = _parse_date_text(text, day_first)
    rest = rest.strip().lstrip("t").strip().lstrip(",@").strip()
    if rest.startswith("at "):
        rest = rest[3:].strip()
    if not rest:
        return parsed
    return dt.datetime.combine(parsed, _parse_time_text(rest))


_YES = frozenset({"yes", "y", "true", "1", "x"})
_NO = frozenset({"no", "n", "false", "0"})


def parse_yes_no(value: object) -> bool:
    """Read Yes/No, Y/N, True/False, 1/0 or x (yes)."""
    if isinstance(value, bool):
        return value
    text = clean_text(value).casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError("is not Yes or No")


def parse_number(value: object) -> float:
    """Read a number, accepting numbers typed as text."""
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = clean_text(value).replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("is not a number")
    return number


_LIST_SEPARATORS = re.compile(r"[,;\n]")


def parse_id_list(value: object) -> list[str]:
    """Split a list cell into IDs at commas, semicolons and line breaks."""
    return split_id_list(clean_text(value))


def split_id_list(text: str) -> list[str]:
    """Split cleaned text into IDs at commas, semicolons and line breaks."""
    if ";" not in text and "\n" not in text:
        if "," not in text:
            text = text.strip()
            return [text] if text else []
        parts = text.split(",")  # the usual separator alone: quicker than the pattern
    else:
        parts = _LIST_SEPARATORS.split(text)
    return [part for part in map(str.strip, parts) if part]


def match_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """Return the allowed value ``text`` stands for, ignoring case and spaces, or None."""
    wanted = _SPACES.sub(" ", text).strip().casefold()
    for choice in choices:
        if choice.casefold() == wanted:
            return choice
    return None


def nearest(text: str, candidates) -> str | None:
    """Return the candidate closest in spelling to ``text``, or None when none is close."""
    import difflib  # needed only for a problem's advice, so not imported by every run

    lowered = {candidate.casefold(): candidate for candidate in candidates}
    found = difflib.get_close_matches(text.casefold(), list(lowered), n=1, cutoff=0.5)
    return lowered[found[0]] if found else None
