"""The scheduled job: config checks, a simulated week, failures, missed and overlapping runs.

Mail goes to a real SMTP server (aiosmtpd) on loopback. The runner is driven
with a simulated clock, so no test sleeps.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import textwrap
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.scheduler import ConfigError, JobRunner, latest_slot, load_config

NEW_YORK = ZoneInfo("America/New_York")


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def write_config(folder, workbook, port, extra_job="", daily_days='["mon", "tue", "wed", "thu", "fri"]'):
    config = folder / "schedule.toml"
    config.write_text(textwrap.dedent(f"""
        run_log = "runs.log"

        [smtp]
        host = "127.0.0.1"
        port = {port}
        sender = "wellness@maple.example"
        timeout = 5

        [[job]]
        name = "daily-due"
        workbook = "{workbook.name}"
        days = {daily_days}
        time = "07:30"
        timezone = "America/New_York"
        outputs = ["due", "calendar"]
        mail_to = ["dana@aaa.example"]
        retries = 2
        retry_delay_minutes = 15

        [[job]]
        name = "weekly-pack"
        workbook = "{workbook.name}"
        days = ["mon"]
        time = "08:00"
        timezone = "America/New_York"
        outputs = ["pack", "check"]
        mail_to = ["director@maple.example", "quality@maple.example"]
        retries = 1
        retry_delay_minutes = 30
        {extra_job}
    """))
    return config


def at(year, month, day, hour, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def simulate(runner, start, end, step=dt.timedelta(minutes=10), before_tick=None):
    """Tick the runner from ``start`` to ``end``; return (moment, job, outcome) for every run."""
    runs = []
    runner.start(start)
    moment = start
    while moment <= end:
        if before_tick:
            before_tick(moment)
        for name, outcome in runner.tick(moment):
            runs.append((moment, name, outcome))
        moment += step
    return runs


def test_latest_slot_follows_local_days():
    from toolkit.scheduler import Job

    job = Job("j", workbook=None, days=(0, 2), times=(dt.time(7, 30),), timezone="America/New_York",
              outputs=("due",), out_dir=None)
    # Tuesday Dec 8 2026 at noon: the last slot was Monday Dec 7 07:30.
    assert latest_slot(job, at(2026, 12, 8, 12)) == at(2026, 12, 7, 7, 30)
    # Wednesday 07:29 is just before the Wednesday slot.
    assert latest_slot(job, at(2026, 12, 9, 7, 29)) == at(2026, 12, 7, 7, 30)
    assert latest_slot(job, at(2026, 12, 9, 7, 30)) == at(2026, 12, 9, 7, 30)


def test_simulated_week_delivers_every_mail(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    runner = JobRunner(load_config(write_config(tmp_path, workbook, controller.port)))

    runs = simulate(runner, at(2026, 12, 7, 6), at(2026, 12, 14, 6))

    assert [(moment, name) for moment, name, _ in runs] == [
        (at(2026, 12, 7, 7, 30), "daily-due"),
        (at(2026, 12, 7, 8, 0), "weekly-pack"),
        (at(2026, 12, 8, 7, 30), "daily-due"),
        (at(2026, 12, 9, 7, 30), "daily-due"),
        (at(2026, 12, 10, 7, 30), "daily-due"),
        (at(2026, 12, 11, 7, 30), "daily-due"),
    ]
    assert all(outcome.ok for _, _, outcome in runs)
    assert len(inbox.messages) == 6
    first = inbox.messages[0]
    assert first["To"] == "dana@aaa.example"
    assert sorted(part.get_filename() for part in first.walk() if part.get_filename()) == [
        "due-items.ics", "due-report.xlsx",
    ]
    weekly = inbox.messages[1]
    assert weekly["To"] == "director@maple.example, quality@maple.example"
    assert "check-report.xlsx" in [part.get_filename() for part in weekly.walk()]


def test_failing_job_retries_beside_healthy_one(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    other = make_workbook(name="other.xlsx")
    extra = textwrap.dedent(f"""
        [[job]]
        name = "broken"
        workbook = "missing.xlsx"
        days = ["mon"]
        time = "07:30"
        timezone = "America/New_York"
        outputs = ["due"]
        retries = 2
        retry_delay_minutes = 20
    """)
    runner = JobRunner(load_config(write_config(tmp_path, workbook, controller.port, extra_job=extra)))

    def restore_at_eight(moment):
        if moment == at(2026, 12, 7, 7, 40):
            (tmp_path / "missing.xlsx").write_bytes(other.read_bytes())

    runs = simulate(runner, at(2026, 12, 7, 7), at(2026, 12, 7, 9), before_tick=restore_at_eight)

    broken = [(moment, outcome.ok) for moment, name, outcome in runs if name == "broken"]
    # Failed at 07:30; the retry 20 minutes later finds the restored file.
    assert broken == [(at(2026, 12, 7, 7, 30), False), (at(2026, 12, 7, 7, 50), True)]
    daily = [(moment, outcome.ok) for moment, name, outcome in runs if name == "daily-due"]
    assert daily == [(at(2026, 12, 7, 7, 30), True)]
    log_lines = [json.loads(line) for line in (tmp_path / "runs.log").read_text().splitlines()]
    failed = [line for line in log_lines if line["outcome"] == "failed"]
    assert [line["job"] for line in failed] == ["broken"]
    assert "missing.xlsx" in failed[0]["reason"]


def test_retries_are_bounded(make_workbook, tmp_path, smtp_server):
    controller, _ = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    runner = JobRunner(load_config(write_config(tmp_path, workbook, controller.port)))
    workbook.unlink()

    runs = simulate(runner, at(2026, 12, 7, 7), at(2026, 12, 7, 12))

    daily = [(moment, outcome.ok) for moment, name, outcome in runs if name == "daily-due"]
    # retries = 2 with 15 minutes between: three attempts, then it waits for the next slot.
    assert daily == [(at(2026, 12, 7, 7, 30), False), (at(2026, 12, 7, 7, 50), False),
                     (at(2026, 12, 7, 8, 10), False)]


def test_smtp_down_is_logged_and_loop_continues(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    runner = JobRunner(load_config(write_config(tmp_path, workbook, free_port())))

    runs = simulate(runner, at(2026, 12, 7, 7), at(2026, 12, 8, 9))

    daily = [outcome for _, name, outcome in runs if name == "daily-due"]
    assert len(daily) == 6  # 3 attempts on Monday, 3 on Tuesday
    assert not any(outcome.ok for outcome in daily)
    assert "ConnectionRefusedError" in daily[0].reason
    assert inbox.messages == []


def test_missed_runs_made_up_once(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    runner = JobRunner(load_config(write_config(tmp_path, workbook, controller.port)))
    runner.start(at(2026, 12, 7, 6))

    # The machine sleeps from Monday 06:00 to Thursday 10:00, missing four slots.
    woke = runner.tick(at(2026, 12, 10, 10))
    later = runner.tick(at(2026, 12, 10, 10, 10))

    assert sorted(name for name, _ in woke) == ["daily-due", "weekly-pack"]
    assert later == []
    assert len(inbox.messages) == 2


def test_state_survives_restart(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    config = load_config(write_config(tmp_path, workbook, controller.port))
    first = JobRunner(config)
    first.start(at(2026, 12, 7, 6))
    first.tick(at(2026, 12, 7, 7, 30))

    second = JobRunner(config)
    second.start(at(2026, 12, 7, 7, 40))

    assert second.tick(at(2026, 12, 7, 7, 40)) == []


def test_overlapping_run_is_skipped(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    config = load_config(write_config(tmp_path, workbook, controller.port))
    runner = JobRunner(config)
    daily = config.jobs[0]
    lock = daily.out_dir / ".handoff-run.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": 1, "started": at(2026, 12, 7, 7, 29).isoformat()}))

    skipped = runner.run_job(daily, at(2026, 12, 7, 7, 30))
    lock.write_text(json.dumps({"pid": 1, "started": at(2026, 12, 6, 7, 0).isoformat()}))
    stale = runner.run_job(daily, at(2026, 12, 7, 7, 30))

    assert (skipped.ok, skipped.reason) == (False, "skipped: previous run still in progress")
    assert stale.ok
    assert not lock.exists()


def test_run_log_names_no_resident(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    runner = JobRunner(load_config(write_config(tmp_path, workbook, controller.port)))
    simulate(runner, at(2026, 12, 7, 7), at(2026, 12, 7, 9))

    lines = [json.loads(line) for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert [(line["job"], line["outcome"]) for line in lines] == [("daily-due", "ok"), ("weekly-pack", "ok")]
    assert set(lines[0]) >= {"time", "job", "outcome", "overdue", "due_soon", "unscheduled", "errors"}
    assert "Ada Example" not in (tmp_path / "runs.log").read_text()
    assert "Ada Example" not in inbox.messages[0].get_payload()[0].get_payload()


def test_calendar_cancels_resolved_items(make_workbook, tmp_path, smtp_server):
    from icalendar import Calendar

    controller, _ = smtp_server
    workbook = make_workbook(name="facility.xlsx", escalations=[{
        "Escalation ID": "E1", "Resident ID": "R1", "Opened at": dt.datetime(2026, 12, 7, 6, 0),
        "Category": "Acute confusion", "Observed": "x", "Decision needed": "y", "Contacted": "CM1",
    }])
    config = load_config(write_config(tmp_path, workbook, controller.port))
    runner = JobRunner(config)
    simulate(runner, at(2026, 12, 7, 7), at(2026, 12, 7, 7, 30))
    make_workbook(name="facility.xlsx")  # E1 no longer exists
    simulate(runner, at(2026, 12, 8, 7), at(2026, 12, 8, 7, 30))

    files = sorted(config.jobs[0].out_dir.rglob("due-items.ics"))
    first = Calendar.from_ical(files[0].read_bytes())
    second = Calendar.from_ical(files[1].read_bytes())
    response_uid = [str(e["uid"]) for e in first.walk("VEVENT") if "ESC-RESPONSE" in str(e["summary"])]
    cancelled = [str(e["uid"]) for e in second.walk("VEVENT") if str(e.get("status")) == "CANCELLED"]
    assert len(response_uid) == 1
    assert cancelled == response_uid


@pytest.mark.parametrize("body, expected", [
    ("[[job]]\nname = \"a\"\ntime = \"7:30\"\n", "workbook is required"),
    ("[[job]]\nworkbook = \"f.xlsx\"\ntime = \"25:00\"\n", "is not a time of day"),
    ("[[job]]\nworkbook = \"f.xlsx\"\ntime = \"07:00\"\ndays = [\"mnday\"]\n", '"mnday" is not a day'),
    ("[[job]]\nworkbook = \"f.xlsx\"\ntime = \"07:00\"\ntimezone = \"Mars/Base\"\n", "not an IANA time zone"),
    ("[[job]]\nworkbook = \"f.xlsx\"\ntime = \"07:00\"\noutputs = [\"pdf\"]\n", '"pdf" is not one of'),
    ("[[job]]\nworkbook = \"f.xlsx\"\ntime = \"07:00\"\nmail_to = [\"a@b.example\"]\n", "no [smtp] table"),
    ("[smtp]\nhost = \"h\"\nsender = \"s@x\"\npassword = \"secret\"\n[[job]]\nworkbook = \"f.xlsx\"\ntime = \"07:00\"\n",
     "do not write it in the file"),
    ("[smtp]\nhost = \"h\"\nsender = \"s@x\"\npassword_env = \"HANDOFF_TEST_UNSET\"\n"
     "[[job]]\nworkbook = \"f.xlsx\"\ntime = \"07:00\"\n", "HANDOFF_TEST_UNSET is not set"),
    ("", "no jobs"),
    ("[[job]\n", "not valid TOML"),
], ids=["no-workbook", "bad-time", "bad-day", "bad-zone", "bad-output", "mail-without-smtp",
        "password-in-file", "unset-env", "no-jobs", "bad-toml"])
def test_config_mistakes_are_named(tmp_path, body, expected):
    config = tmp_path / "schedule.toml"
    config.write_text(body)

    with pytest.raises(ConfigError) as raised:
        load_config(config)

    assert expected in str(raised.value)


def test_schedule_once_from_cli(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    config = write_config(tmp_path, workbook, controller.port)

    result = CliRunner().invoke(main, ["schedule", str(config), "--once"])

    assert result.exit_code == 0, result.output
    assert "daily-due: ok" in result.output
    assert "weekly-pack: ok" in result.output
    assert len(inbox.messages) == 2


def test_schedule_bad_config_exits_two(tmp_path):
    config = tmp_path / "schedule.toml"
    config.write_text("[[job]]\nname = \"x\"\n")

    result = CliRunner().invoke(main, ["schedule", str(config), "--check"])

    assert result.exit_code == 2
    assert "workbook is required" in result.output


def test_config_single_address_and_empty_lists(tmp_path):
    config = tmp_path / "schedule.toml"
    config.write_text(textwrap.dedent("""
        [smtp]
        host = "127.0.0.1"
        sender = "wellness@maple.example"
        port = 99999

        [[job]]
        workbook = "f.xlsx"
        time = "07:00"
        days = []
        outputs = []
        mail_to = "director@maple.example"
    """))

    with pytest.raises(ConfigError) as raised:
        load_config(config)

    message = str(raised.value)
    assert "3 mistakes to fix" in message
    assert "port: 99999 is not a port number" in message
    assert "days must be a list of days" in message
    assert "outputs must be a list" in message
    assert '"d" is not an e-mail address' not in message


def test_mail_has_date_and_message_id(make_workbook, tmp_path, smtp_server):
    controller, inbox = smtp_server
    workbook = make_workbook(name="facility.xlsx")
    runner = JobRunner(load_config(write_config(tmp_path, workbook, controller.port)))

    runner.run_job(runner.config.jobs[0], at(2026, 12, 7, 7, 30))

    message = inbox.messages[0]
    assert message["Date"]
    assert message["Message-ID"].endswith("@maple.example>")
