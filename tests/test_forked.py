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
# Workbooks whose checks and due items are compared with and without forking.
COMPARED_WORKBOOKS = [SAMPLE, ROOT / "tests" / "data" / "libreoffice-saved.xlsx",
                      ROOT / "tests" / "data" / "dates-typed-as-text.xlsx"]


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


DUPLEX = r"""
import json, os
from toolkit.forked import Forked

def echo(receive):
    yield "ready"
    yield receive() * 2
    yield receive() + "!"

child = Forked(echo, duplex=True)
seen = [child.take()]
child.send(21)
seen.append(child.take())
child.send("x" * 200_000)  # more than a pipe holds: the child reads while the parent writes
seen.append(len(child.take()))
try:
    child.take()
except EOFError:
    seen.append("end")

def stops(receive):
    yield "first"

stopped = Forked(stops, duplex=True)
first = stopped.take()
os.waitpid(stopped.pid, 0)  # the child has ended, and its end of the pipe with it
stopped.finished = True  # reaped here, so close() must not wait for it again
try:
    stopped.send("too late")
except EOFError:
    first += ", then stopped"
print(json.dumps({"seen": seen, "stopped": first}))
"""


def test_duplex_child_receives_what_parent_sends():
    result = json.loads(run_python(DUPLEX))
    assert result["seen"] == ["ready", 42, 200_001, "end"]
    assert result["stopped"] == "first, then stopped"


# Prints the problems and due items of argv[1] as JSON, worked out in the mode given in argv[2],
# what the forked processes sent (rule names, and "checks" for the later checks), and how many
# processes were forked. In the "fused" modes, one forked process runs the later checks and
# then its share of the due rules. The "-stops" modes end the forked process early.
DUE = r"""
import datetime as dt, json, os, sys
from toolkit import checks, due, forked
from toolkit import facility as facility_module
from toolkit.facility import load_facility

path, mode = sys.argv[1], sys.argv[2]
parent = os.getpid()
received = []
forks = []
original_take = forked.Forked.take
original_init = forked.Forked.__init__

def spy(self):
    sent = original_take(self)
    received.extend(sent[1] if isinstance(sent, tuple) else ["checks"])
    return sent

def counted_init(self, *arguments, **options):
    forks.append(1)
    original_init(self, *arguments, **options)

forked.Forked.take = spy
forked.Forked.__init__ = counted_init
facility_module.SHARED_WORK_MIN_ROWS = float("inf") if mode == "unforked" else 0
if mode == "fused-stops":
    original_rule_items = due.DueRules.rule_items

    def rule_items(self, rule, horizon_days):
        if os.getpid() != parent:
            os._exit(0)  # the forked process ends after the later checks, before its rules
        return original_rule_items(self, rule, horizon_days)

    due.DueRules.rule_items = rule_items
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
fused = mode.startswith("fused")
facility = load_facility(path, dt.datetime(2026, 12, 4, 9), due_rules=fused,
                         due_horizon=7 if mode == "fused-other-horizon" else 14)
items = due.due_items(facility, 14)
errors = {table.name: [[record.row, sorted(record.errors), record.left_out] for record in table.records]
          for table in facility.tables.values()}
print(json.dumps({"problems": [problem.to_dict() for problem in facility.problems], "errors": errors,
                  "items": [item.to_dict() for item in items], "received": received, "forks": len(forks)}))
"""


@pytest.mark.parametrize("workbook", COMPARED_WORKBOOKS)
def test_checks_and_due_same_forked_or_not(workbook):
    forked = json.loads(run_python(DUE, str(workbook), "forked"))
    unforked = json.loads(run_python(DUE, str(workbook), "unforked"))
    stopped = json.loads(run_python(DUE, str(workbook), "forked-stops"))
    assert sorted(forked["received"]) == ["checks", "falls_cluster_rule", "map_rules", "risk_rules"]
    assert unforked["received"] == []
    assert stopped["received"] == []
    for key in ("problems", "errors", "items"):
        assert forked[key] == unforked[key], key
        assert stopped[key] == unforked[key], key


@pytest.mark.parametrize("workbook", COMPARED_WORKBOOKS)
def test_checks_and_rules_one_fork(workbook):
    unforked = json.loads(run_python(DUE, str(workbook), "unforked"))
    fused = json.loads(run_python(DUE, str(workbook), "fused"))
    stopped = json.loads(run_python(DUE, str(workbook), "fused-stops"))
    other_horizon = json.loads(run_python(DUE, str(workbook), "fused-other-horizon"))
    assert fused["forks"] == 1
    assert sorted(fused["received"]) == ["checks", "falls_cluster_rule", "map_rules", "risk_rules"]
    assert stopped["received"] == ["checks"]
    # Rules worked out for a 7-day horizon are not used for 14 days; this process works them out.
    assert other_horizon["forks"] == 1
    for key in ("problems", "errors", "items"):
        assert fused[key] == unforked[key], key
        assert stopped[key] == unforked[key], key
        assert other_horizon[key] == unforked[key], key


# Prints, for argv[1] worked out with a forced fork (argv[2] "forked") or without one, the JSON
# lines due_json_lines gives, then (worked out again) the due items, the lines
# report.item_json_lines writes for them, and the items in sort_items' order.
JSON_LINES = r"""
import datetime as dt, json, sys
from toolkit import due, report
from toolkit import facility as facility_module
from toolkit.facility import load_facility

path, mode = sys.argv[1], sys.argv[2]
facility_module.SHARED_WORK_MIN_ROWS = 0 if mode == "forked" else float("inf")
facility = load_facility(path, dt.datetime(2026, 12, 4, 9), due_rules=True, due_horizon=14, due_json=True)
lines = due.due_json_lines(facility, 14)
items = due.due_items(facility, 14)
print(json.dumps({"items": [item.to_dict() for item in items], "lines": lines,
                  "written": list(report.item_json_lines(items)),
                  "sorted": [item.to_dict() for item in due.sort_items(items)]}))
"""


@pytest.mark.parametrize("workbook", COMPARED_WORKBOOKS)
def test_json_lines_match_the_items(workbook):
    forked = json.loads(run_python(JSON_LINES, str(workbook), "forked"))
    unforked = json.loads(run_python(JSON_LINES, str(workbook), "unforked"))
    assert forked["items"], "the workbook has due items"
    for result in (forked, unforked):
        assert result["lines"] == result["written"]
        assert [json.loads(line) for line in result["lines"]] == result["items"]
        assert result["sorted"] == result["items"]
    assert forked["lines"] == unforked["lines"]
    assert forked["items"] == unforked["items"]


def test_later_check_errors_marked_in_forked_run(make_workbook):
    # An escalation opened after the as-of time is a VALUE-FUTURE error, found by a later check,
    # so the forked run must mark the cell as the unforked run does.
    path = make_workbook(escalations=[{"Escalation ID": "E1", "Resident ID": "R1", "Category": "Other",
                                       "Opened at": "2027-01-06 10:00", "Contacted": "CM1"}])
    forked = json.loads(run_python(DUE, str(path), "forked"))
    unforked = json.loads(run_python(DUE, str(path), "unforked"))
    fused = json.loads(run_python(DUE, str(path), "fused"))
    assert fused["errors"] == unforked["errors"]
    assert fused["items"] == unforked["items"]
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


def test_forked_rules_skip_left_out_rows(make_workbook):
    from conftest import full_map

    # The earlier checks leave out the second row of a repeated resident and domain, the second
    # risk with an ID already used, and the second incident with an ID already used. The forked
    # process works out the map and risk rules, so it must leave those rows out too. So there is
    # no GAP-OPEN for the repeated map row and one RISK-REVIEW (risk row 2). The incident a risk
    # is reviewed after is I1 of Nov 10, not the left-out I1 of Nov 20.
    rows = full_map()
    repeated = {**rows[0], "Gap": "Open", "Gap noted on": "2026-11-20"}
    risk = {"Risk ID": "K1", "Resident ID": "R1", "Risk": "Falls", "Status": "Active", "Owner": "CM1",
            "Opened on": "2026-11-01"}
    incident = {"Incident ID": "I1", "Resident ID": "R1", "Occurred at": "2026-11-10 08:00", "Type": "Fall"}
    path = make_workbook(authorization_map=rows + [repeated], risks=[risk, {**risk, "Risk": "Wandering"}],
                         incidents=[incident, {**incident, "Occurred at": "2026-11-20 08:00"}])
    fused = json.loads(run_python(DUE, str(path), "fused"))
    unforked = json.loads(run_python(DUE, str(path), "unforked"))
    assert fused["forks"] == 1
    assert "map_rules" in fused["received"]
    assert fused["items"] == unforked["items"]
    assert not [item for item in fused["items"] if item["code"] == "GAP-OPEN"]
    assert [item["row"] for item in fused["items"] if item["code"] == "RISK-REVIEW"] == [2]
    after = [item["summary"] for item in fused["items"] if item["code"] == "RISK-AFTER-INCIDENT"]
    assert len(after) == 1
    assert "incident I1 (fall, Nov 10 08:00)" in after[0]


def _running(pid: int) -> bool:
    """Return True when process ``pid`` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


CHILD_LEFT = r"""
import json, sys, time
from toolkit import facility, forked

pids = []
original_init = forked.Forked.__init__

def recorded_init(self, *arguments, **options):
    original_init(self, *arguments, **options)
    pids.append(self.pid)

forked.Forked.__init__ = recorded_init
facility.SHARED_WORK_MIN_ROWS = 0
mode = sys.argv[1]
if mode == "missing-sheet":
    from toolkit import cli
    sys.argv = ["handoff", "due", sys.argv[2], "--as-of", "2026-12-04T09:00"]
    try:
        cli.main(prog_name="handoff")
    except SystemExit as end:
        status = end.code
    import os
    unreaped = []
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)  # returns for a child still running or not yet reaped
            unreaped.append(pid)
        except ChildProcessError:  # already reaped, as it should be
            pass
    print(json.dumps({"pids": pids, "status": status, "unreaped": unreaped}), file=sys.stderr)
else:  # the parent ends abruptly while its child works
    def slow():
        time.sleep(30)
        yield "late"

    child = forked.Forked(slow)
    print(json.dumps({"pids": [child.pid]}), file=sys.stderr, flush=True)
    import os
    os._exit(0)
"""


def test_due_failing_after_load_stops_child(make_workbook):
    # Without a Contacts sheet, due stops after loading, before the forked process's rules are used.
    escalation = {"Escalation ID": "E1", "Resident ID": "R1", "Category": "Other", "Opened at": "2026-12-01 10:00",
                  "Contacted": "CM1"}
    # Holidays None: no calendar thread is still running when the checks could fork.
    path = make_workbook(escalations=[escalation], extra_sheets={"Contacts": None}, settings={"Holidays": "None"})
    finished = subprocess.run([sys.executable, "-c", CHILD_LEFT, "missing-sheet", str(path)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    result = json.loads(finished.stderr.strip().splitlines()[-1])
    assert result["status"] == 2
    assert result["pids"]
    assert result["unreaped"] == []


def test_child_ends_with_its_parent():
    import time

    finished = subprocess.run([sys.executable, "-c", CHILD_LEFT, "parent-ends"], capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
    pid = json.loads(finished.stderr.strip().splitlines()[-1])["pids"][0]
    deadline = time.monotonic() + 5
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


CLOSED_STREAMS = r"""
import json, sys
from toolkit.forked import Forked

def produce(receive):
    yield "first"
    yield receive() + 1

child = Forked(produce, duplex=True)
values = [child.take()]
child.send(41)
values.append(child.take())
with open(sys.argv[1], "w") as report:
    json.dump(values, report)
"""


def test_child_works_with_standard_streams_closed(tmp_path):
    # With 0, 1 and 2 closed, the pipes get those numbers; the child must not overwrite them.
    report = tmp_path / "values.json"
    finished = subprocess.run(f'"{sys.executable}" -c \'{CLOSED_STREAMS}\' "{report}" <&- >&- 2>&-',
                              shell=True, timeout=60, cwd=ROOT)
    assert finished.returncode == 0
    assert json.loads(report.read_text()) == ["first", 42]
