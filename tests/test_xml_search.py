"""The yes-or-no searches over sheet XML: the same results with RE2, with re, and by hand."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit import sheet_scan, xlsx_package, xml_search

DATE_STYLES = sheet_scan.style_attribute({1, 14, 165})
PATTERNS = [xlsx_package._FAR_REFERENCE, sheet_scan._FORMULA_END, sheet_scan._FRACTION_VALUE,
            sheet_scan._ISO_DATE_TYPE, DATE_STYLES]

# What sheet XML is made of, with bytes outside ASCII: Latin-1, UTF-8 and a NUL.
PIECES = [b'<c r="', b'<row r="', b'r="', b'"', b"'", b"A", b"B", b"X", b"Z", b"1", b"0", b"4", b"9", b".",
          b"-", b" ", b"\t", b"\n", b"\r", b"v>", b"<v>", b"</v>", b"f>", b"</f>", b"<f/>", b's="', b't="d"',
          b"t='d'", b">", b"\xe9", b"\xc3\xa9", b"\x00"]


@pytest.fixture(autouse=True)
def re2_on(monkeypatch):
    """Search as the scanning helper does (see toolkit.xml_search.use_re2)."""
    monkeypatch.setattr(xml_search, "_re2_on", True)


@pytest.fixture
def without_re2(monkeypatch):
    """Make ``import re2`` fail, as on a platform with no google-re2 wheel."""
    monkeypatch.setitem(sys.modules, "re2", None)
    monkeypatch.setattr(xml_search, "_compiled", {})


@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_same_result_as_re(pieces):
    data = b"".join(pieces)
    for pattern in PATTERNS:
        assert xml_search.found(pattern, data) == (pattern.search(data) is not None), (pattern.pattern, data)
        assert xml_search.found(pattern, bytearray(data)) == (pattern.search(data) is not None)


def test_re2_runs_the_search_where_installed():
    pytest.importorskip("re2")
    assert not isinstance(xml_search._compile(xlsx_package._FAR_REFERENCE), re.Pattern)


@pytest.mark.parametrize(("xml", "far"), [
    (b'<c r="A1" s="1">', False),
    (b'<c r="AB12" s="1">', True),            # column AB
    (b'<c r="Z999999">', False),              # row 999,999
    (b'<c r="Z1048576">', True),              # row 1,048,576 has seven digits
    (b'<row r="1000000" spans="1:3">', True),
    (b'<row r="999999">', False),
    (b'<c\nr="XFD5">', True),                 # attributes separated by a line break
    (b'<c\tr="AA5">', True),
    (b"<c r='XFD5'>", True),                  # in single quotes
    (b"<row r='1048577'>", True),
    (b'<mergeCell ref="AA1:AB2"/>', False),   # a range, not a cell reference
])
def test_far_references_by_hand(xml, far, request):
    for fallback in (False, True):
        if fallback:
            request.getfixturevalue("without_re2")
        assert xml_search.found(xlsx_package._FAR_REFERENCE, xml) is far, (xml, fallback)


@pytest.mark.parametrize(("xml", "styles", "fraction", "formula"), [
    (b'<c r="B2" s="14"><v>46360</v></c>', True, False, False),
    (b'<c r="B2" s="141"><v>46360.5</v></c>', False, True, False),     # style 141 is not 14
    (b'<c r="B2" s="165"><v> 46360.000</v></c>', True, False, False),  # a fraction of zero
    (b'<c r="B2"><v>-0.25</v></c>', False, True, False),
    (b'<c r="B2"><f>TODAY()</f><v></v></c>', False, False, True),
    (b'<x:c r="B2"><x:f>A1</x:f></x:c>', False, False, True),
])
def test_cell_searches_by_hand(xml, styles, fraction, formula, request):
    for fallback in (False, True):
        if fallback:
            request.getfixturevalue("without_re2")
        assert xml_search.found(DATE_STYLES, xml) is styles
        assert sheet_scan.may_hold_times(xml) is fraction
        assert (sheet_scan.find_unsaved_formulas(xml) != set()) is formula


def test_fallback_is_re(without_re2):
    assert xml_search._compile(sheet_scan._FORMULA_END) is sheet_scan._FORMULA_END


def test_re_where_re2_is_not_turned_on(monkeypatch):
    monkeypatch.setattr(xml_search, "_re2_on", False)
    monkeypatch.setattr(xml_search, "_compiled", {})
    assert xml_search.found(xlsx_package._FAR_REFERENCE, b'<c r="AB1">')
    assert xml_search._compiled == {}


def test_helper_turns_re2_on(monkeypatch, make_workbook):
    from toolkit import workbook

    monkeypatch.setattr(xml_search, "_re2_on", False)
    path = make_workbook()
    entries = workbook._check_container(path)
    scanned = list(sheet_scan._scan_sheets(path, entries, list(entries), workbook._date_only_styles_or_none))
    assert xml_search._re2_on
    assert [name for name, _ in scanned] == list(entries)
    assert {result[0] for _, result in scanned} == {"ok"}
