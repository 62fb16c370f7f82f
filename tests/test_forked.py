"""Work shared with a forked process: the child's values, a child that stops, checks and due items.

Forking is allowed only in a process with a single thread, so each case runs
in a fresh Python process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="work is forked on Linux only")

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "facility.xlsx"


def run_python(code: str, *arguments: str) -> str:
    finished = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


FORKED_VALUES = r"""
import json, os
from toolkit.forked import Forked

def produce():
    yield {"first": 1}
    yield ["second", os.getpid()]

def produce_then_fail():
    yield "sent"
    raise ValueError("stops here")

values = list(Forked(produce))
print(json.dumps({"values": values[:1] + [values[1][0]], "other_process": values[1][1] != os.getpid(),
                  "after_failure": list(Forked(produce_then_fail))}))
"""


def test_child_values_arrive_in_order():
    result = json.loads(run_python(FORKED_VALUES))
    assert result["values"] == [{"first": 1}, "second"]
    assert result["other_process"] is True


def test_failing_child_ends_after_sent_values():
    result = json.loads(run_python(FORKED_VALUES))
    assert result["after_failure"] == ["sent"]


# Prints the problems and due items of argv[1] as JSON, worked out in the mode given in argv[2],
# and what the forked processes sent: rule names, and "checks" for the later checks.
DUE = r"""
import datetime as dt, json, os, sys
from toolkit import checks, due, forked
from toolkit import facility as facility_module
from toolkit.facility import load_facility

path, mode = sys.argv[1], sys.argv[2]
parent = os.getpid()
received = []
original_iter = forked.Forked.__iter__

def spy(self):
    for sent in original_iter(self):
        received.extend(sent if isinstance(sent, dict) else ["checks"])
        yield sent

forked.Forked.__iter__ = spy
facility_module.SHARED_WORK_MIN_ROWS = float("inf") if mode == "unforked" else 0
if mode == "forked-stops":
    original_rule_items = due.DueRules.rule_items
    original_later_checks = checks._run_later_checks

    def rule_items(self, rule, horizon_days):
        if os.getpid() != parent:
            os._exit(0)  # the forked process ends before sending anything
        return original_rule_items(self, rule, horizon_days)

    def run_later_checks(facility):
        if os.getpid() != parent:
            os._exit(0)
        return original_later_checks(facility)

    due.DueRules.rule_items = rule_items
    checks._run_later_checks = run_later_checks
facility = load_facility(path, dt.datetime(2026, 12, 4, 9))
errors = {table.name: [[record.row, sorted(record.errors), record.left_out] for record in table.records]
          for table in facility.tables.values()}
items = due.due_items(facility, 14)
print(json.dumps({"problems": [problem.to_dict() for problem in facility.problems], "errors": errors,
                  "items": [item.to_dict() for item in items], "received": received}))
"""


@pytest.mark.parametrize("workbook", [SAMPLE, ROOT / "tests" / "data" / "libreoffice-saved.xlsx",
                                      ROOT / "tests" / "data" / "dates-typed-as-text.xlsx"])
def test_checks_and_due_same_forked_or_not(workbook):
    forked = json.loads(run_python(DUE, str(workbook), "forked"))
    unforked = json.loads(run_python(DUE, str(workbook), "unforked"))
    stopped = json.loads(run_python(DUE, str(workbook), "forked-stops"))
    assert sorted(forked["received"]) == ["checks", "map_rules", "risk_rules"]
    assert unforked["received"] == []
    assert stopped["received"] == []
    for key in ("problems", "errors", "items"):
        assert forked[key] == unforked[key], key
        assert stopped[key] == unforked[key], key


def test_later_check_errors_marked_in_forked_run(make_workbook):
    # An escalation opened after the as-of time is a VALUE-FUTURE error, found by a later check,
    # so the forked run must mark the cell as the unforked run does.
    path = make_workbook(escalations=[{"Escalation ID": "E1", "Resident ID": "R1", "Category": "Other",
                                       "Opened at": "2027-01-06 10:00", "Contacted": "CM1"}])
    forked = json.loads(run_python(DUE, str(path), "forked"))
    unforked = json.loads(run_python(DUE, str(path), "unforked"))
    future = [(problem["sheet"], problem["column"]) for problem in forked["problems"]
              if problem["code"] == "VALUE-FUTURE"]
    assert ("Escalations", "Opened at") in future
    assert forked["errors"]["Escalations"] == unforked["errors"]["Escalations"]
    assert forked["errors"]["Escalations"][0][1] == ["Opened at"]


def test_sample_due_items_include_forked_rules():
    # The sample has items of both forked rules (map rows, risks), so that share is not empty.
    codes = {item["code"] for item in json.loads(run_python(DUE, str(SAMPLE), "forked"))["items"]}
    assert {"AUTH-PENDING", "GAP-OPEN", "RISK-REVIEW", "RISK-AFTER-INCIDENT"} <= codes


def test_consent_after_unknown_contact_forked(make_workbook):
    from conftest import BASE_RESIDENT

    # Contact C9 in Share with is unknown. With that REF-UNKNOWN error the limited consent cannot be
    # used, so sharing risk K1 with CM1 is a CONSENT error. The forked run must report it too.
    resident = {**BASE_RESIDENT, "Consent to share": "Limited", "Share with": "CM1, C9"}
    risk = {"Risk ID": "K1", "Resident ID": "R1", "Risk": "Falls", "Status": "Active", "Owner": "CM1",
            "Opened on": "2026-11-01", "Shared with": "CM1"}
    path = make_workbook(residents=[resident], risks=[risk])
    forked = json.loads(run_python(DUE, str(path), "forked"))
    unforked = json.loads(run_python(DUE, str(path), "unforked"))
    codes = [(problem["code"], problem["sheet"], problem["column"]) for problem in forked["problems"]]
    assert ("REF-UNKNOWN", "Residents", "Share with") in codes
    assert ("CONSENT", "Risk Register", "Shared with") in codes
    assert "checks" in forked["received"]
    assert forked["problems"] == unforked["problems"]
