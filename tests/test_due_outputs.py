"""`handoff due` as a report workbook and an iCalendar file, and `--owner`."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner
from icalendar import Calendar

from conftest import BASE_CONTACTS, BASE_RESIDENT, full_map
from toolkit.cli import main

AS_OF = "2026-12-04T09:00"


def run_cli(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def escalation(identifier, resident, contacted, opened, category="Acute confusion"):
    return {"Escalation ID": identifier, "Resident ID": resident, "Opened at": opened, "Category": category,
            "Observed": "=HYPERLINK(\"http://example.org\")", "Decision needed": "+1 call back", "Contacted": contacted}


def facility_with_two_owners(make_workbook, **overrides):
    residents = [
        dict(BASE_RESIDENT),
        dict(BASE_RESIDENT, **{"Resident ID": "R2", "Name": "Bruno Sample", "Consent to share": "No"}),
        dict(BASE_RESIDENT, **{"Resident ID": "R3", "Name": "Cleo Third", "Consent to share": "Limited",
                               "Share with": "HH1"}),
    ]
    sheets = dict(
        residents=residents,
        authorization_map=full_map("R1") + full_map("R2") + full_map("R3"),
        escalations=[
            escalation("E1", "R1", "HH1", dt.datetime(2026, 12, 4, 6, 0)),   # due 10:00, due soon
            escalation("E2", "R2", "HH1", dt.datetime(2026, 12, 3, 6, 0)),   # due Dec 3 10:00, overdue
            escalation("E3", "R3", "HH1", dt.datetime(2026, 12, 4, 7, 0)),   # due 11:00, due soon
            escalation("E4", "R1", "CM1", dt.datetime(2026, 12, 4, 8, 0)),   # due 12:00, due soon
        ],
        check_ins=[{"Held on": dt.date(2026, 12, 1), "Resident ID": r} for r in ("R1", "R2", "R3")],
        settings={"Facility name": "Maple Test"},
    )
    sheets.update(overrides)
    return make_workbook(**sheets)


def test_owner_filter_respects_consent(make_workbook):
    workbook = facility_with_two_owners(make_workbook)

    result = run_cli("due", workbook, "--as-of", AS_OF, "--owner", "hh1", "--format", "json")

    import json
    items = json.loads(result.output)["items"]
    # HH1 owns E1 (R1, consent Yes), E2 (R2, consent No) and E3 (R3, Limited to HH1).
    assert [(item["ref"], item["resident_id"]) for item in items] == [("E1", "R1"), ("E3", "R3")]


def test_owner_unknown_is_one_line(make_workbook):
    result = run_cli("due", facility_with_two_owners(make_workbook), "--as-of", AS_OF, "--owner", "ZZ9")

    assert result.exit_code == 2
    assert "ZZ9" in result.output
    assert "Traceback" not in result.output


def test_xlsx_report_reads_back(make_workbook, tmp_path):
    workbook = facility_with_two_owners(make_workbook)
    out = tmp_path / "due.xlsx"

    # A 2-day horizon leaves out the map reviews due Dec 8.
    result = run_cli("due", workbook, "--as-of", AS_OF, "--horizon", "2", "--format", "xlsx", "-o", out)

    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["All items", "CM1", "HH1"]
    sheet = book["All items"]
    assert "Maple Test" in sheet["A1"].value
    assert "2026-12-04T09:00:00-05:00" in sheet["A2"].value
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5, max_col=5)]
    # Overdue first (E2 due Dec 3 10:00), then due soon by time: E1 10:00, E3 11:00, E4 12:00.
    assert [(row[0], row[2], row[4]) for row in rows] == [
        ("overdue", "ESC-RESPONSE", "E2"), ("due soon", "ESC-RESPONSE", "E1"),
        ("due soon", "ESC-RESPONSE", "E3"), ("due soon", "ESC-RESPONSE", "E4"),
    ]
    assert rows[0][1] == dt.datetime(2026, 12, 3, 10, 0)
    assert sheet["A5"].fill.start_color.rgb.endswith("F8CBAD")
    assert sheet["A6"].fill.start_color.rgb.endswith("FFE699")
    link = sheet["C5"].hyperlink
    assert link.target == workbook.name
    assert link.location == "'Escalations'!A3"
    assert [row[0].value for row in book["HH1"].iter_rows(min_row=5, max_col=1)] == [
        "overdue", "due soon", "due soon"
    ]


def test_xlsx_writes_text_as_text(make_workbook, tmp_path):
    residents = [dict(BASE_RESIDENT, **{"Resident ID": "@R1"})]
    workbook = make_workbook(residents=residents, authorization_map=full_map("@R1")[:3])
    out = tmp_path / "due.xlsx"

    run_cli("due", workbook, "--as-of", AS_OF, "--format", "xlsx", "-o", out)

    sheet = openpyxl.load_workbook(out)["All items"]
    cell = sheet["D5"]
    assert cell.value == "@R1"
    assert cell.data_type == "s"


def test_xlsx_requires_output(make_workbook):
    result = run_cli("due", facility_with_two_owners(make_workbook), "--format", "xlsx")

    assert result.exit_code == 2
    assert "-o/--output" in result.output


def events(path):
    return {str(event["uid"]): event for event in Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def test_ics_uids_stable_across_runs(make_workbook, tmp_path):
    workbook = facility_with_two_owners(make_workbook)
    first, second = tmp_path / "week1.ics", tmp_path / "week2.ics"

    run_cli("due", workbook, "--as-of", AS_OF, "--horizon", "2", "--format", "ics", "-o", first)
    run_cli("due", workbook, "--as-of", "2026-12-04T09:30", "--horizon", "2", "--format", "ics", "-o", second)

    first_events, second_events = events(first), events(second)
    assert len(first_events) == 4
    assert set(first_events) == set(second_events)
    e1 = [event for event in first_events.values() if "E1" in str(event["summary"])][0]
    assert e1.decoded("dtstart") == dt.datetime(2026, 12, 4, 10, 0, tzinfo=e1.decoded("dtstart").tzinfo)
    assert str(e1.decoded("dtstart").tzinfo) == "America/New_York"
    assert int(second_events[str(e1["uid"])]["sequence"]) > int(e1["sequence"])
    assert len(e1.walk("VALARM")) == 1


def test_ics_cancels_resolved_item(make_workbook, tmp_path):
    workbook = facility_with_two_owners(make_workbook)
    first, second = tmp_path / "week1.ics", tmp_path / "week2.ics"
    run_cli("due", workbook, "--as-of", AS_OF, "--horizon", "2", "--format", "ics", "-o", first)
    answered = [escalation("E1", "R1", "HH1", dt.datetime(2026, 12, 4, 6, 0))]
    answered[0]["Responded at"] = dt.datetime(2026, 12, 4, 8, 0)
    workbook = facility_with_two_owners(make_workbook, escalations=answered)

    result = run_cli("due", workbook, "--as-of", AS_OF, "--horizon", "2", "--format", "ics", "-o", second,
                     "--previous", first)

    assert result.exit_code == 0, result.output
    # Only E1 is left and it was answered, so all four escalation events are cancelled.
    old_uids = set(events(first))
    cancelled = {uid for uid, event in events(second).items() if str(event.get("status")) == "CANCELLED"}
    assert len(old_uids) == 4
    assert cancelled == old_uids


def test_previous_not_calendar_is_one_line(make_workbook, tmp_path):
    workbook = facility_with_two_owners(make_workbook)
    not_calendar = tmp_path / "old.ics"
    not_calendar.write_text("this is not a calendar")

    result = run_cli("due", workbook, "--as-of", AS_OF, "--format", "ics", "-o", tmp_path / "new.ics",
                     "--previous", not_calendar)

    assert result.exit_code == 2
    assert "is not an iCalendar file" in result.output
    assert not (tmp_path / "new.ics").exists()


def test_check_xlsx_about_sheet(make_workbook, tmp_path):
    workbook = facility_with_two_owners(make_workbook)
    out = tmp_path / "check.xlsx"

    run_cli("check", workbook, "--as-of", AS_OF, "--format", "xlsx", "-o", out)

    about = [row for row in openpyxl.load_workbook(out)["About"].values]
    assert [row[0] for row in about] == ["Workbook", "As of", "Errors", "Warnings"]
    assert about[0][1] == workbook.name
    assert about[1][1] == "2026-12-04T09:00:00-05:00"


def test_resident_ids_sort_naturally():
    from toolkit.due import natural_key

    assert sorted(["R-10", "R-2", "r-1", "R-1b", "10"], key=natural_key) == ["10", "r-1", "R-1b", "R-2", "R-10"]
    assert natural_key("R-007") == natural_key("r-7")
    assert natural_key("R-\u0667") == natural_key("R-7")  # Arabic-Indic seven
    long_id = "9" * 5000  # longer than int() accepts from text
    assert sorted([long_id, "R-1", "1" + long_id], key=natural_key) == [long_id, "1" + long_id, "R-1"]


def test_items_sort_status_instant_resident():
    from zoneinfo import ZoneInfo

    from toolkit.due import DueItem, sort_items

    chicago = ZoneInfo("America/Chicago")
    # On 2026-11-01 Chicago's clocks go back from 02:00 CDT to 01:00 CST. 01:45 CDT (06:45 UTC)
    # comes before 01:15 CST (07:15 UTC), although 01:15 reads earlier on the clock.
    cdt_145 = dt.datetime(2026, 11, 1, 1, 45, tzinfo=chicago)
    cst_115 = dt.datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=chicago)
    utc_0700 = dt.datetime(2026, 11, 1, 7, 0, tzinfo=dt.timezone.utc)  # between the two

    def item(status, resident, due_at, code="ESC-RESPONSE", row=2):
        return DueItem(code, status, resident, "Escalations", row, "E1", due_at, "CM1", "")

    items = [
        item("due soon", "R-1", cst_115),
        item("unscheduled", "R-10", None),
        item("overdue", "R-10", cst_115),
        item("overdue", "R-2", utc_0700),
        item("overdue", "R-10", cdt_145, code="ESC-DECISION"),
        item("overdue", "R-10", cdt_145, code="ESC-DECISION", row=1),
        item("overdue", "R-2", cdt_145),
        item("unscheduled", "R-2", None),
        item("due soon", "r-1", cst_115, row=1),
    ]
    ordered = [(entry.status, entry.resident_id, entry.due_at and entry.due_at.astimezone(dt.timezone.utc).hour,
                entry.due_at and entry.due_at.astimezone(dt.timezone.utc).minute, entry.code, entry.row)
               for entry in sort_items(items)]
    assert ordered == [
        ("overdue", "R-2", 6, 45, "ESC-RESPONSE", 2),
        ("overdue", "R-10", 6, 45, "ESC-DECISION", 1),
        ("overdue", "R-10", 6, 45, "ESC-DECISION", 2),
        ("overdue", "R-2", 7, 0, "ESC-RESPONSE", 2),
        ("overdue", "R-10", 7, 15, "ESC-RESPONSE", 2),
        ("unscheduled", "R-2", None, None, "ESC-RESPONSE", 2),
        ("unscheduled", "R-10", None, None, "ESC-RESPONSE", 2),
        # R-1 and r-1 are the same resident ID in natural order, so row decides.
        ("due soon", "r-1", 7, 15, "ESC-RESPONSE", 1),
        ("due soon", "R-1", 7, 15, "ESC-RESPONSE", 2),
    ]


def _item_lines(items) -> list[str]:
    """Return the item lines of the due report's JSON, without indent and separators."""
    from toolkit.report import due_json_chunks, item_json_lines

    as_of = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.timezone.utc)
    text = "".join(due_json_chunks("f.xlsx", "Maple", as_of, "UTC", 14, item_json_lines(items)))
    return [line.strip().rstrip(",") for line in text.split("\n") if line.startswith("    {")]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_json_report_layout(count):
    from toolkit.due import DueItem
    from toolkit.report import due_json

    as_of = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.timezone.utc)
    items = [DueItem("MAP-REVIEW", "unscheduled", "R1", "Residents", 2, "", None, "CM1", "First."),
             DueItem("GAP-OPEN", "overdue", "R2", "Authorization Map", 5, "Meals", None, "", "Second.")][:count]
    lines = ['{"code": "MAP-REVIEW", "status": "unscheduled", "resident_id": "R1", "sheet": "Residents", '
             '"row": 2, "ref": "", "due_at": "", "owner": "CM1", "summary": "First."}',
             '{"code": "GAP-OPEN", "status": "overdue", "resident_id": "R2", "sheet": "Authorization Map", '
             '"row": 5, "ref": "Meals", "due_at": "", "owner": "", "summary": "Second."}'][:count]
    header = ('{\n  "workbook": "f.xlsx",\n  "facility": "Maple",\n  "as_of": "2026-12-04T09:00:00+00:00",\n'
              '  "timezone": "UTC",\n  "horizon_days": 14,\n  "items": ')
    items_text = "[]" if not lines else "[\n    " + ",\n    ".join(lines) + "\n  ]"
    assert due_json("f.xlsx", "Maple", as_of, "UTC", 14, items) == header + items_text + "\n}\n"


def test_json_item_line_matches_json_module():
    import json

    from toolkit.due import DueItem

    due = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    items = [
        DueItem("ESC-RESPONSE", "overdue", "R1", "Escalations", 7, "E1", due, "CM1",
                'Said "call me" \\ twice\nthen left; café ☕ \u2028 \x07'),
        DueItem("MAP-REVIEW", "unscheduled", "R-2", "Residents", 3, "", None, "", ""),
        DueItem("MAP-REVIEW", "unscheduled", None, "Residents", 3, "", None, "", "no resident ID"),
    ]
    lines = _item_lines(items)
    assert len(lines) == len(items)
    for item, line in zip(items, lines):
        assert line == json.dumps(item.to_dict(), ensure_ascii=False)
        assert json.loads(line) == item.to_dict()


def test_equal_due_moments_keep_offsets():
    """Moments equal as instants or as wall-clock times are still written with their own offset."""
    import json
    from zoneinfo import ZoneInfo

    from toolkit.due import FAR_FUTURE, DueItem

    chicago = ZoneInfo("America/Chicago")
    # 9999-12-30 00:00 UTC is 9999-12-29 18:00 in Chicago: equal instants, different text.
    local_far = dt.datetime(9999, 12, 29, 18, 0, tzinfo=chicago)
    # 01:30 happens twice on 2026-11-01 in Chicago; the moments compare equal but differ in offset.
    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=chicago)
    second = first.replace(fold=1)
    assert local_far == FAR_FUTURE
    assert first == second
    items = [DueItem("ESC-RESPONSE", "due soon", "R1", "Escalations", row, "E1", due_at, "CM1", "x")
             for row, due_at in enumerate((FAR_FUTURE, local_far, first, second), start=2)]
    due_times = [json.loads(line)["due_at"] for line in _item_lines(items)]
    assert due_times == ["9999-12-30T00:00:00+00:00", "9999-12-29T18:00:00-06:00",
                     "2026-11-01T01:30:00-05:00", "2026-11-01T01:30:00-06:00"]

    from toolkit.report import due_text

    text = due_text("f.xlsx", "Maple", dt.datetime(2026, 12, 4, 9, 0, tzinfo=chicago), 14, items[:2])
    assert "9999-12-30 00:00" in text
    assert "9999-12-29 18:00" in text


def test_horizon_beyond_ten_years_rejected(make_workbook):
    # A horizon past 3,650 days (the Due soon horizon setting's ceiling) would overflow date arithmetic.
    result = run_cli("due", make_workbook(), "--as-of", AS_OF, "--horizon", "1000000000")
    assert result.exit_code == 2
    assert "--horizon" in result.output
    assert "3650" in result.output
    accepted = run_cli("due", make_workbook(), "--as-of", AS_OF, "--horizon", "3650")
    assert accepted.exit_code == 0


def test_due_without_calendar_thread(make_workbook, monkeypatch):
    # With no thread to spare (a low ulimit -u), the holiday dates are loaded when the rules need them.
    import threading

    original_start = threading.Thread.start

    def start(thread):
        if thread.name == "handoff-calendar":
            raise RuntimeError("can't start new thread")
        original_start(thread)

    path = make_workbook()
    expected = run_cli("due", path, "--as-of", AS_OF, "--format", "json")
    monkeypatch.setattr(threading.Thread, "start", start)
    result = run_cli("due", path, "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0
    assert result.output == expected.output

