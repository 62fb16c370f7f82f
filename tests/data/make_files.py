"""Build the workbooks in tests/data: the shapes a facility workbook arrives in.

Each file is named for its scenario, and tests/test_wild_files.py lists the
problems expected in each, worked out by hand. Run from the repository root:

    python tests/data/make_files.py

LibreOffice (``soffice``) and msoffcrypto-tool must be installed; the tests
read the committed files and need neither. Zip entry times and document dates
are fixed, so a rebuild gives the same bytes, except for the encrypted
workbook, whose random salt differs from run to run.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

HERE = Path(__file__).resolve().parent
UNREADABLE = HERE / "unreadable"
FIXED_MOMENT = dt.datetime(2026, 11, 30, 12, 0)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

CORE_DOMAINS = (
    "Medication management", "Bathing", "Mobility supervision", "Wound care", "Therapy",
    "Transport", "Equipment", "Meals", "Behavioral support",
)

RESIDENT_HEADER = ["Resident ID", "Name", "Room", "Status", "Admitted on", "Case manager", "Consent to share",
                   "Notes"]
CONTACT_HEADER = ["Contact ID", "Name", "Organization", "Role", "Phone"]
MAP_HEADER = ["Resident ID", "Domain", "Route", "Provider", "Contact ID", "Authorization status", "Requested on",
              "Authorized through", "Start confirmed on"]
ESCALATION_HEADER = ["Escalation ID", "Resident ID", "Opened at", "Category", "Observed", "Decision needed",
                     "Contacted", "Responded at"]
RISK_HEADER = ["Risk ID", "Resident ID", "Risk", "Controls", "Warning signs", "Next step", "Owner", "Opened on",
               "Status"]
INCIDENT_HEADER = ["Incident ID", "Resident ID", "Occurred at", "Type"]
CHECK_IN_HEADER = ["Held on", "Resident ID", "Attendees"]


def resident_rows() -> list[list]:
    return [RESIDENT_HEADER, ["R1", "Ada Example", "101", "Active", dt.date(2026, 6, 1), "CM1", "Yes", None]]


def contact_rows() -> list[list]:
    return [
        CONTACT_HEADER,
        ["CM1", "Dana Case", "Area Agency on Aging", "LTSS case manager", "555-0100"],
        ["HH1", "Pat Nurse", "Sunrise Home Health", "Home health", "555-0102"],
    ]


def map_rows(resident_id: str = "R1") -> list[list]:
    """Return the map header and a row per core domain, rows 2 to 10; Wound care (row 5) is home health."""
    rows = [MAP_HEADER]
    for domain in CORE_DOMAINS:
        if domain == "Wound care":
            rows.append([resident_id, domain, "Home health", "Sunrise Home Health", "HH1", "Approved",
                         dt.date(2026, 11, 1), dt.date(2027, 1, 31), dt.date(2026, 11, 10)])
        else:
            rows.append([resident_id, domain, "Facility", "Maple Grove", "CM1", None, None, None,
                         dt.date(2026, 6, 2)])
    return rows


def base_sheets() -> dict[str, list[list]]:
    """Return every sheet of a clean workbook: one resident, two contacts, a full map."""
    return {
        "Residents": resident_rows(),
        "Contacts": contact_rows(),
        "Authorization Map": map_rows(),
        "Escalations": [ESCALATION_HEADER],
        "Risk Register": [RISK_HEADER],
        "Incidents": [INCIDENT_HEADER],
        "Check-ins": [CHECK_IN_HEADER],
        "Settings": [["Setting", "Value"], ["Time zone", "America/New_York"]],
        "Standards": [["Category", "Respond within (hours)"], ["Acute confusion", 4]],
    }


def new_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.creator = "Maple Grove Assisted Living"
    book.properties.created = FIXED_MOMENT
    book.properties.modified = FIXED_MOMENT
    return book


def fill_sheet(sheet, rows: list[list]) -> None:
    for row in rows:
        sheet.append(row)


def book_from(sheets: dict[str, list[list]]) -> openpyxl.Workbook:
    book = new_book()
    for title, rows in sheets.items():
        fill_sheet(book.create_sheet(title), rows)
    return book


def set_date_times(sheet, number_format: str = "yyyy-mm-dd hh:mm") -> None:
    """Give every date-time cell of ``sheet`` a format that shows the time."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = number_format


def normalize(path: Path) -> None:
    """Rewrite the package at ``path`` with fixed entry times and document dates, so rebuilds match."""
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = _fixed_core_dates(data)
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def _fixed_core_dates(data: bytes) -> bytes:
    import re

    stamp = FIXED_MOMENT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2", data)


def save(book: openpyxl.Workbook, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    normalize(path)
    return path


def libreoffice_convert(source: Path, target: Path, file_format: str) -> Path:
    """Convert ``source`` with LibreOffice to ``file_format`` ("xlsx" or "xls") and write ``target``."""
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        profile = (folder_path / "profile").as_uri()
        staged = folder_path / f"{target.stem}{source.suffix}"
        shutil.copyfile(source, staged)
        out = folder_path / "out"
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", file_format,
             "--outdir", str(out), str(staged)],
            check=True, capture_output=True, timeout=180,
        )
        shutil.copyfile(out / f"{target.stem}.{file_format}", target)
    if file_format == "xlsx":
        normalize(target)
    return target


def rewrite_part(path: Path, member: str, replacements: list[tuple[bytes, bytes]]) -> None:
    """Replace bytes in one part of the package at ``path``; each old value must occur."""
    with zipfile.ZipFile(path) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            if name == member:
                for old, new in replacements:
                    if old not in data:
                        raise ValueError(f"{old!r} not found in {member}")
                    data = data.replace(old, new)
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())


# ---------------------------------------------------------------- readable scenarios


def build_libreoffice_saved() -> None:
    sheets = base_sheets()
    sheets["Residents"].append(["R2", "Bruno Sample", "102", "Activ", dt.date(2026, 7, 1), "CM1", "Yes", None])
    # Typed with a time, shown as a date only: read as the date.
    sheets["Residents"][1][4] = dt.datetime(2026, 6, 1, 10, 30)
    sheets["Escalations"].append([
        "E1", "R1", dt.datetime(2026, 12, 1, 14, 0), "Acute confusion", "New confusion since lunch",
        "Does she need a urine test today?", "HH1", dt.datetime(2026, 12, 1, 13, 0),
    ])
    book = book_from(sheets)
    book["Residents"]["E2"].number_format = "yyyy-mm-dd"
    set_date_times(book["Escalations"])
    book["Residents"].freeze_panes = "A2"
    book["Residents"].column_dimensions["B"].width = 24
    book["Residents"]["A1"].fill = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
    with tempfile.TemporaryDirectory() as folder:
        source = save(book, Path(folder) / "libreoffice-saved.xlsx")
        libreoffice_convert(source, HERE / "libreoffice-saved.xlsx", "xlsx")


def build_formulas_never_calculated() -> None:
    sheets = base_sheets()
    sheets["Residents"] = [
        RESIDENT_HEADER + ["Last transition on"],
        ["R1", "Ada Example", '="1"&"01"', "Active", "=DATE(2026,6,1)", "CM1", "Yes", None, "=TODAY()"],
        # A row prepared with formulas and no data is blank, like any empty row.
        [None, None, None, None, None, None, None, '=IF(A3="","",A3)', None],
    ]
    sheets["Authorization Map"][2][8] = "=DATE(2026,6,2)"
    save(book_from(sheets), HERE / "formulas-never-calculated.xlsx")


def build_formulas_saved_by_libreoffice() -> None:
    sheets = base_sheets()
    sheets["Residents"] = [
        RESIDENT_HEADER + ["Last transition on"],
        ["R1", "Ada Example", '="1"&"01"', '=IF(1=1,"Active","Hospital")', "=DATE(2026,6,1)", "CM1", "Yes",
         '=IF(1=1,"","not shown")', "=DATE(2026,11,20)"],
    ]
    # Calculated, so the saved result is used: a start confirmed after the as-of date.
    sheets["Authorization Map"][2][8] = "=DATE(2026,12,24)"
    book = book_from(sheets)
    for cell in ("E2", "I2"):
        book["Residents"][cell].number_format = "yyyy-mm-dd"
    book["Authorization Map"]["I3"].number_format = "yyyy-mm-dd"
    with tempfile.TemporaryDirectory() as folder:
        source = save(book, Path(folder) / "formulas-saved-by-libreoffice.xlsx")
        libreoffice_convert(source, HERE / "formulas-saved-by-libreoffice.xlsx", "xlsx")


def build_excel_table() -> None:
    sheets = base_sheets()
    sheets["Authorization Map"][2][2] = "Home Helth"
    book = book_from(sheets)
    style = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    for sheet_name, display_name, reference in (("Authorization Map", "tblMap", "A1:I10"),
                                                ("Residents", "tblResidents", "A1:H2")):
        table = Table(displayName=display_name, ref=reference)
        table.tableStyleInfo = style
        book[sheet_name].add_table(table)
    save(book, HERE / "excel-table.xlsx")


def build_hidden_sheets_and_rows() -> None:
    sheets = base_sheets()
    sheets["Residents"][1][7] = "Prefers mornings"
    sheets["Residents"].append(["R2", "Bruno Sample", "102", "Active", "someday", "CM1", "Yes", None])
    sheets["Incidents"].append(["I1", "R9", dt.datetime(2026, 12, 2, 3, 10), "Fall"])
    sheets["Risk Register"].append(["RK1", "R1", "Falls", "Night checks every 2 hours", "Unsteady on turning",
                                    "Call the case manager", "CM1", dt.date(2026, 11, 1), "Open"])
    book = book_from(sheets)
    book["Residents"].row_dimensions[3].hidden = True
    book["Residents"].column_dimensions["H"].hidden = True
    book["Incidents"].sheet_state = "hidden"
    book["Risk Register"].sheet_state = "veryHidden"
    book["Settings"].sheet_state = "hidden"
    set_date_times(book["Incidents"])
    save(book, HERE / "hidden-sheets-and-rows.xlsx")


def build_date_system_1904() -> None:
    sheets = base_sheets()
    sheets["Escalations"].append([
        "E1", "R1", dt.datetime(2026, 12, 1, 14, 30), "Acute confusion", "New confusion since lunch",
        "Does she need a urine test today?", "HH1", dt.datetime(2026, 12, 1, 14, 0),
    ])
    sheets["Check-ins"] += [[dt.date(2026, 12, 3), "R1", "CM1"], [dt.date(2026, 12, 10), "R1", "CM1"]]
    book = book_from(sheets)
    book.epoch = CALENDAR_MAC_1904
    set_date_times(book["Escalations"])
    save(book, HERE / "date-system-1904.xlsx")


def build_merged_cells() -> None:
    sheets = base_sheets()
    sheets["Residents"] = [["Maple Grove Assisted Living: residents"]] + resident_rows()
    sheets["Residents"][2][7] = "Prefers mornings"
    for row in sheets["Authorization Map"][2:4]:
        row[0] = None
    book = book_from(sheets)
    book["Residents"].merge_cells("A1:H1")
    book["Residents"].merge_cells("H3:I3")
    book["Authorization Map"].merge_cells("A2:A4")
    save(book, HERE / "merged-cells.xlsx")


def build_rich_text_cells() -> None:
    sheets = base_sheets()
    bold, italic = InlineFont(b=True), InlineFont(i=True)
    residents = sheets["Residents"][1]
    residents[1] = CellRichText([TextBlock(bold, "Ada"), " Example"])
    residents[3] = CellRichText(["Act", TextBlock(bold, "ive")])
    residents[7] = CellRichText(["Daughter visits ", TextBlock(italic, "Sundays")])
    sheets["Contacts"][2][3] = CellRichText(["Home ", TextBlock(italic, "heath")])
    sheets["Authorization Map"][4][2] = CellRichText(["Home ", TextBlock(bold, "health")])
    save(book_from(sheets), HERE / "rich-text-cells.xlsx")


# 40,000 characters each, ending in a character that is not a space.
LONG_NOTE = ("Daughter visits on Sundays \U0001F337 and brings the crossword. " * 800)[:39_999] + "."
LONG_CONSENT = ("Yes " * 10_000)[:39_999] + "!"
LONG_OBSERVATION = ("Unsteady on turning \U0001F6B6, needed two staff to stand. " * 800)[:39_999] + "."


def build_emoji_and_long_text() -> None:
    sheets = base_sheets()
    sheets["Residents"][1][1] = "Ada \U0001F33B Example"
    sheets["Residents"][1][7] = "LONG-NOTE"
    sheets["Residents"].append(["R2", "Bruno \U0001F474\U0001F3FD Sample", "102", "Active \u2705",
                                dt.date(2026, 7, 1), "CM1", "LONG-CONSENT", None])
    sheets["Contacts"][2][2] = "Sunrise Home Health \U0001F305"
    sheets["Escalations"].append([
        "E1", "R1", dt.datetime(2026, 12, 1, 14, 0), "Acute confusion", "LONG-OBSERVATION",
        "Does she need a urine test today? \U0001F9EA", "HH1", None,
    ])
    book = book_from(sheets)
    set_date_times(book["Escalations"])
    path = save(book, HERE / "emoji-and-long-text.xlsx")
    # openpyxl cuts text at Excel's 32,767 characters, so the longer text that Google Sheets
    # (50,000) and LibreOffice allow goes into the sheet XML afterwards.
    rewrite_part(path, "xl/worksheets/sheet1.xml", [(b"LONG-NOTE", LONG_NOTE.encode()),
                                                    (b"LONG-CONSENT", LONG_CONSENT.encode())])
    rewrite_part(path, "xl/worksheets/sheet4.xml", [(b"LONG-OBSERVATION", LONG_OBSERVATION.encode())])


def build_control_characters() -> None:
    sheets = base_sheets()
    sheets["Residents"][1][7] = "NOTE-ESCAPED"
    sheets["Residents"].append(["R2", "Bruno Sample", "102", "STATUS-RAW", "ADMITTED-ESCAPED", "CM1", "Yes",
                                "NOTE-RAW"])
    sheets["Contacts"][2][1] = "NAME-RAW"
    path = save(book_from(sheets), HERE / "control-characters.xlsx")
    # openpyxl refuses control characters, so they go into the sheet XML afterwards: as the
    # _xHHHH_ escapes Excel writes, and as raw bytes, which XML 1.0 forbids but some programs write.
    rewrite_part(path, "xl/worksheets/sheet1.xml", [
        (b"NOTE-ESCAPED", b"Call bell_x0007_ rings twice"),
        (b"STATUS-RAW", b"Active\x07"),
        (b"ADMITTED-ESCAPED", b"2026-07-01_x0008_"),
        (b"NOTE-RAW", b"Line\x01one\x1ftwo"),
    ])
    rewrite_part(path, "xl/worksheets/sheet2.xml", [(b"NAME-RAW", b"Pat\x0bNurse")])


def build_dates_typed_as_text() -> None:
    sheets = base_sheets()
    sheets["Residents"] = [
        RESIDENT_HEADER + ["Last transition on", "Stable from"],
        ["R1", "Ada Example", "101", "Active", "2026-06-01", "CM1", "Yes", None, "11/20/2026", "11/27/26"],
        ["R2", "Bruno Sample", "102", "Active", "Jun 1, 2026", "CM1", "Yes", None, "20 Nov 2026",
         "November 27, 2026"],
    ]
    sheets["Check-ins"] += [
        [text, "R1", "CM1"]
        for text in ("2026-12-01", "12/1/2026", "12/1/26", "Dec 1, 2026", "1 Dec 2026", "December 1, 2026",
                     "12/32/2026", "Feb 30, 2026", "2026-12-05")
    ]
    observed, decision = "New confusion since lunch", "Does she need a urine test today?"
    sheets["Escalations"] += [
        ["E1", "R1", "2026-12-01 14:00", "Acute confusion", observed, decision, "HH1", "12/1/2026 2:30 PM"],
        ["E2", "R1", "Dec 1, 2026 2pm", "Acute confusion", observed, decision, "HH1", "12/1/26 1:00 PM"],
        ["E3", "R1", "1 Dec 2026 14:00", "Acute confusion", observed, decision, "HH1", "December 1, 2026 3pm"],
        ["E4", "R1", "12/1/2026 25:00", "Acute confusion", observed, decision, "HH1", None],
    ]
    save(book_from(sheets), HERE / "dates-typed-as-text.xlsx")


def build_numbers_stored_as_text() -> None:
    sheets = base_sheets()
    sheets["Residents"] = [RESIDENT_HEADER + ["Complex risk"],
                           [1007, "Ada Example", 101, "Active", dt.date(2026, 6, 1), "CM1", "Yes", None, "0"]]
    sheets["Contacts"][1][4] = 5550100
    sheets["Authorization Map"] = map_rows("1007")
    sheets["Authorization Map"][0].append("Response standard (hours)")
    for row, hours in zip(sheets["Authorization Map"][1:], ["48", " 1,000 ", "-4", "four", 24]):
        row.append(hours)
    sheets["Settings"] += [["Map due (days)", "10"], ["Falls cluster (falls)", "two"]]
    sheets["Standards"][1][1] = "6"
    save(book_from(sheets), HERE / "numbers-stored-as-text.xlsx")


NBSP = "\u00a0"


def build_non_breaking_spaces() -> None:
    sheets = base_sheets()
    sheets["Residents"][0][0] = "Resident ID" + NBSP
    sheets["Residents"][0][3] = "Status" + NBSP
    sheets["Residents"][1][0] = "R1" + NBSP
    sheets["Residents"][1][3] = "Active" + NBSP
    sheets["Residents"][1][5] = "CM1" + NBSP
    sheets["Contacts"][0][0] = "Contact ID" + NBSP
    sheets["Contacts"][1][0] = "CM1" + NBSP
    sheets["Contacts"][1][3] = "LTSS case manager" + NBSP
    rows = sheets.pop("Authorization Map")
    rows[0][1] = NBSP + "Domain"
    rows[0][4] = "Contact ID" + NBSP
    for row in rows[1:]:
        row[0] = "R1" + NBSP * 2
        row[2] = row[2] + NBSP
    rows[4][5] = "Approved" + NBSP
    rows.append(["R9" + NBSP, "Other", "Facility", "Maple Grove", "CM1", None, None, None, None])
    book = book_from(sheets)
    fill_sheet(book.create_sheet("Authorization" + NBSP + "Map", 2), rows)
    save(book, HERE / "non-breaking-spaces.xlsx")


def build_title_rows_above_header() -> None:
    sheets = base_sheets()
    sheets["Residents"] = [
        ["Maple Grove Assisted Living"],
        ["Residents, updated every Monday by the wellness director"],
        [],
        *resident_rows(),
        ["R2", "Bruno Sample", "102", "Hosptial", dt.date(2026, 7, 1), "CM1", "Yes", None],
    ]
    map_body = map_rows()
    map_body[4][5] = "Aproved"
    sheets["Authorization Map"] = [["Service authorization map"], *map_body]
    save(book_from(sheets), HERE / "title-rows-above-header.xlsx")


def build_workbook_open() -> None:
    folder = HERE / "open-in-excel"
    sheets = base_sheets()
    sheets["Residents"][1][2] = "TBD"
    save(book_from(sheets), folder / "facility.xlsx")
    # Excel's owner file: the user name as a length-prefixed string, padded to 165 bytes.
    user = b"Wellness Director"
    (folder / "~$facility.xlsx").write_bytes((bytes([len(user)]) + user).ljust(54, b" ").ljust(165, b"\x00"))


def build_staff_formatting() -> None:
    sheets = base_sheets()
    sheets["Residents"].append(["R2", "Bruno Sample", "102", "Activ", dt.date(2026, 7, 1), "CM1", "Limited",
                                "Son is the contact"])
    sheets["Authorization Map"][2][4] = "CM7"
    sheets["Handover notes"] = [["Week of", "Note"], [dt.date(2026, 11, 30), "New fridge for medication"]]
    sheets["Old residents"] = [["Resident ID", "Left on"], ["R0", dt.date(2025, 3, 1)]]
    sheets["problems"] = [["Staff list of problems"], ["Call the pharmacy about R1"]]
    book = book_from(sheets)

    residents = book["Residents"]
    header_fill = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
    for cell in residents[1]:
        cell.fill = header_fill
        cell.font = Font(bold=True, color="1F4E79")
    residents["B2"].font = Font(italic=True)
    residents["C2"].fill = PatternFill("solid", start_color="E2EFDA", end_color="E2EFDA")
    for cell in ("E2", "E3"):
        residents[cell].number_format = "d mmm yyyy"
    residents.column_dimensions["B"].width = 26
    residents.column_dimensions["H"].width = 40
    residents.freeze_panes = "B2"
    residents["C2"].comment = Comment("Room changes in January", "Wellness Director")
    residents["D3"].comment = Comment("Check with the family", "Wellness Director")
    status_list = DataValidation(type="list", formula1='"Active,Hospital,Discharged"', allow_blank=True)
    status_list.add("D2:D200")
    residents.add_data_validation(status_list)
    residents.conditional_formatting.add(
        "E2:E200", CellIsRule(operator="lessThan", formula=["DATE(2026,1,1)"], fill=header_fill))

    authorization_map = book["Authorization Map"]
    authorization_map.freeze_panes = "C2"
    authorization_map.column_dimensions["B"].width = 24
    route_list = DataValidation(type="list", formula1='"Facility,Family-paid add-on,Home health,LTSS authorized '
                                                      'service,Other partner,Not needed"')
    route_list.add("C2:C200")
    authorization_map.add_data_validation(route_list)

    contacts_table = Table(displayName="tblContacts", ref="A1:E3")
    contacts_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    book["Contacts"].add_table(contacts_table)
    book["Old residents"].sheet_state = "hidden"
    book.defined_names["ResidentIDs"] = DefinedName("ResidentIDs", attr_text="Residents!$A$2:$A$200")
    save(book, HERE / "staff-formatting.xlsx")


# ---------------------------------------------------------------- a Google Sheets export


def _google_cell(reference: str, value, strings: list[str]) -> str:
    """Return one <c> element as Google Sheets exports it: text in shared strings, no date styles."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{reference}" s="1" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{reference}" s="1"><v>{value}</v></c>'
    if value not in strings:
        strings.append(value)
    return f'<c r="{reference}" s="1" t="s"><v>{strings.index(value)}</v></c>'


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_google_sheets_export() -> None:
    sheets = base_sheets()
    # Dates typed into Google Sheets as plain text export as text.
    sheets["Residents"] = [
        RESIDENT_HEADER[:7] + ["Complex risk"],
        ["R1", "Ada Example", 101, "Active", "6/1/2026", "CM1", "Yes", False],
        ["R2", "Bruno Sample", 102, "Active", "13/1/2026", "CM1", "No", True],
    ]
    rows = [MAP_HEADER]
    for domain in CORE_DOMAINS:
        route, provider, contact = ("Home health", "Sunrise Home Health", "HH1") if domain == "Wound care" \
            else ("Facility", "Maple Grove", "CM1")
        rows.append(["R1", domain, route, provider, contact, None, None, None, "6/2/2026"])
    sheets["Authorization Map"] = rows

    strings: list[str] = []
    sheet_parts = []
    for rows in sheets.values():
        xml_rows = []
        for row_number, row in enumerate(rows, start=1):
            cells = "".join(
                _google_cell(f"{openpyxl.utils.get_column_letter(column)}{row_number}", value, strings)
                for column, value in enumerate(row, start=1)
            )
            xml_rows.append(f'<row r="{row_number}">{cells}</row>')
        sheet_parts.append(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetPr><outlinePr summaryBelow="0" summaryRight="0"/></sheetPr>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr customHeight="1" defaultColWidth="12.63" defaultRowHeight="15.75"/>'
            f'<sheetData>{"".join(xml_rows)}</sheetData></worksheet>'
        )
    names = list(sheets)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default ContentType="application/vnd.openxmlformats-package.relationships+xml" Extension="rels"/>'
        '<Default ContentType="application/xml" Extension="xml"/>'
        '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml" '
        'PartName="/xl/workbook.xml"/>'
        '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml" '
        'PartName="/xl/styles.xml"/>'
        '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" '
        'PartName="/xl/sharedStrings.xml"/>'
        + "".join(
            '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" '
            f'PartName="/xl/worksheets/sheet{index}.xml"/>' for index in range(1, len(names) + 1)
        )
        + "</Types>"
    )
    package_relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<workbookPr/><sheets>'
        + "".join(f'<sheet state="visible" name="{name}" sheetId="{index}" r:id="rId{index + 2}"/>'
                  for index, name in enumerate(names, start=1))
        + "</sheets><definedNames/><calcPr/></workbook>"
    )
    workbook_relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/>'
        + "".join(
            f'<Relationship Id="rId{index + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{index}.xml"/>'
            for index in range(1, len(names) + 1)
        )
        + "</Relationships>"
    )
    # Two fonts and two cell formats, and no number formats: nothing marks a cell as a date.
    styles = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="2"><font><sz val="10.0"/><color rgb="FF000000"/><name val="Arial"/>'
        '<scheme val="minor"/></font><font><color theme="1"/><name val="Arial"/><scheme val="minor"/></font>'
        '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="lightGray"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf borderId="0" fillId="0" '
        'fontId="0" numFmtId="0" applyAlignment="1" applyFont="1"/></cellStyleXfs>'
        '<cellXfs count="2"><xf borderId="0" fillId="0" fontId="0" numFmtId="0" xfId="0" applyAlignment="1" '
        'applyFont="1"><alignment readingOrder="0" shrinkToFit="0" vertical="bottom" wrapText="0"/></xf>'
        '<xf borderId="0" fillId="0" fontId="1" numFmtId="0" xfId="0" applyAlignment="1" applyFont="1">'
        '<alignment readingOrder="0"/></xf></cellXfs>'
        '<cellStyles count="1"><cellStyle xfId="0" name="Normal" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/></styleSheet>'
    )
    shared_strings = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{_xml_text(text)}</t></si>" for text in strings)
        + "</sst>"
    )
    parts = [("[Content_Types].xml", content_types), ("_rels/.rels", package_relationships),
             ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", workbook_relationships),
             ("xl/styles.xml", styles), ("xl/sharedStrings.xml", shared_strings)]
    parts += [(f"xl/worksheets/sheet{index}.xml", xml) for index, xml in enumerate(sheet_parts, start=1)]
    with zipfile.ZipFile(HERE / "google-sheets-export.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts:
            archive.writestr(zipfile.ZipInfo(name, ZIP_EPOCH), text.encode("utf-8"), zipfile.ZIP_DEFLATED)


# ---------------------------------------------------------------- files that cannot be read


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """Return a zip archive of already-deflated members, each given as (name, data, declared size, CRC).

    Written by hand so that a member can declare any size, as a crafted file does.
    """
    body, directory = bytearray(), bytearray()
    for name, data, size, crc in members:
        offset = len(body)
        encoded = name.encode()
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size,
                            len(encoded), 0) + encoded + data
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    start = len(body)
    body += directory
    body += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0)
    return bytes(body)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _padded_sheet(padding: int) -> tuple[bytes, int, int]:
    """Return a deflated sheet whose sheetData contains ``padding`` bytes of spaces, with its size and CRC."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Resident ID</t>'
            b'</is></c></row>')
    tail = b"</sheetData></worksheet>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    pieces = [compressor.compress(head)]
    crc, size = zlib.crc32(head), len(head)
    block = b" " * 1024**2
    written = 0
    while written < padding:
        piece = block[:padding - written]
        pieces.append(compressor.compress(piece))
        crc, size, written = zlib.crc32(piece, crc), size + len(piece), written + len(piece)
    pieces += [compressor.compress(tail), compressor.flush()]
    return b"".join(pieces), size + len(tail), zlib.crc32(tail, crc)


def _bomb_members(sheet: tuple[bytes, int, int]) -> list[tuple[str, bytes, int, int]]:
    """Return the members of a small real workbook with its first sheet replaced by ``sheet``."""
    with tempfile.TemporaryDirectory() as folder:
        path = save(book_from({"Residents": resident_rows()}), Path(folder) / "small.xlsx")
        with zipfile.ZipFile(path) as source:
            members = []
            for info in source.infolist():
                if info.filename == "xl/worksheets/sheet1.xml":
                    members.append((info.filename, *sheet))
                else:
                    data = source.read(info)
                    members.append((info.filename, _deflate(data), len(data), zlib.crc32(data)))
    return members


def build_unreadable() -> None:
    UNREADABLE.mkdir(parents=True, exist_ok=True)
    (UNREADABLE / "empty.xlsx").write_bytes(b"")
    (UNREADABLE / "csv-renamed.xlsx").write_text(
        "Resident ID,Name,Status,Admitted on\nR1,Ada Example,Active,2026-06-01\n", encoding="utf-8")

    with tempfile.TemporaryDirectory() as folder:
        source = save(book_from(base_sheets()), Path(folder) / "old-format.xlsx")
        libreoffice_convert(source, UNREADABLE / "old-format.xls", "xls")
    shutil.copyfile(UNREADABLE / "old-format.xls", UNREADABLE / "old-format-renamed.xlsx")

    import msoffcrypto.format.ooxml

    with tempfile.TemporaryDirectory() as folder:
        plain = save(book_from(base_sheets()), Path(folder) / "plain.xlsx")
        with plain.open("rb") as source, (UNREADABLE / "password-protected.xlsx").open("wb") as target:
            msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("maple-grove", target)

    whole = save(book_from(base_sheets()), UNREADABLE / "truncated.xlsx").read_bytes()
    (UNREADABLE / "truncated.xlsx").write_bytes(whole[:len(whole) // 2])

    # 1.1 GiB of spaces in one sheet: the zip directory tells the truth about the size.
    (UNREADABLE / "zip-bomb.xlsx").write_bytes(_raw_zip(_bomb_members(_padded_sheet(1100 * 1024**2))))

    # 200 MiB of spaces in a sheet whose zip directory declares 20 KB, and gives the CRC of
    # those first 20 KB, so only unpacking the data shows the lie.
    data, _, _ = _padded_sheet(200 * 1024**2)
    declared = 20_000
    prefix = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, declared)
    lying = (data, declared, zlib.crc32(prefix))
    (UNREADABLE / "zip-bomb-lying-sizes.xlsx").write_bytes(_raw_zip(_bomb_members(lying)))

    book = book_from(base_sheets())
    book["Residents"]["XFD1048576"] = "x"
    save(book, UNREADABLE / "value-in-last-cell.xlsx")


def main() -> None:
    build_libreoffice_saved()
    build_google_sheets_export()
    build_excel_table()
    build_hidden_sheets_and_rows()
    build_date_system_1904()
    build_formulas_never_calculated()
    build_formulas_saved_by_libreoffice()
    build_merged_cells()
    build_rich_text_cells()
    build_emoji_and_long_text()
    build_control_characters()
    build_dates_typed_as_text()
    build_numbers_stored_as_text()
    build_non_breaking_spaces()
    build_title_rows_above_header()
    build_workbook_open()
    build_staff_formatting()
    build_unreadable()


if __name__ == "__main__":
    main()
