"""Scheduled reports: jobs from a TOML file, run at their times, mailed by SMTP.

The loop is driven by the ``schedule`` library, which calls ``JobRunner.tick``
every few seconds. ``tick`` works out from the facility's local clock which
job slots have come round. Time is passed in, so tests drive the runner with
a simulated clock instead of sleeping.

Guarantees:
- a failing job (workbook missing, locked or unreadable, SMTP down) is logged
  with its reason, retried a bounded number of times, and never stops the
  loop or the other jobs;
- a slot missed while the machine slept is run once on waking, not once per
  missed slot;
- runs of one job never overlap, even across processes (a lock file);
- each run appends one line to the run log with time, job, outcome and counts.
  Residents are never named there: reports carry IDs only.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import os
import smtplib
import socket
import ssl
import tomllib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from toolkit.errors import HandoffError
from toolkit.facility import TIME_ZONE_NAME as _TIME_ZONE_NAME

log = logging.getLogger("handoff.schedule")

DAY_NAMES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
OUTPUTS = ("check", "due", "calendar", "pack")
DEFAULT_OUTPUTS = ("due", "check")
# A lock older than this belongs to a run that died without cleaning up.
STALE_LOCK = dt.timedelta(hours=6)


class ConfigError(HandoffError):
    """The schedule file cannot be used; the message lists every mistake."""


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. Secrets come from environment variables named here."""

    host: str
    port: int = 587
    sender: str = ""
    username_env: str | None = None
    password_env: str | None = None
    require_tls: bool = True
    timeout: float = 30.0


@dataclass(frozen=True)
class Job:
    """One scheduled report."""

    name: str
    workbook: Path
    days: tuple[int, ...]
    times: tuple[dt.time, ...]
    timezone: str
    outputs: tuple[str, ...]
    out_dir: Path
    mail_to: tuple[str, ...] = ()
    subject: str = ""
    horizon: int | None = None
    retries: int = 2
    retry_delay: dt.timedelta = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class ScheduleConfig:
    """A whole schedule file."""

    path: Path
    jobs: tuple[Job, ...]
    smtp: SmtpSettings | None
    run_log: Path
    state_file: Path


def _parse_time(text: str) -> dt.time:
    hours, _, minutes = str(text).strip().partition(":")
    return dt.time(int(hours), int(minutes or 0))


def load_config(path: str | os.PathLike) -> ScheduleConfig:
    """Read and validate a schedule file; raise ConfigError listing every mistake."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error}).") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error}).") from None

    base = path.parent
    mistakes: list[str] = []
    known_top = {"smtp", "job", "run_log", "state_file", "timezone"}
    for key in data:
        if key not in known_top:
            mistakes.append(f'unknown setting "{key}" (expected one of: {", ".join(sorted(known_top))})')

    default_zone = data.get("timezone", "America/New_York")
    smtp = None
    if "smtp" in data:
        table = data["smtp"]
        if not isinstance(table, dict) or not table.get("host"):
            mistakes.append("[smtp] needs host, e.g. host = \"smtp.example.org\"")
        else:
            for key in ("username", "password"):
                if key in table:
                    mistakes.append(f"[smtp] {key}: do not write it in the file; set {key}_env to the name "
                                    "of an environment variable that holds it")
            for key in ("username_env", "password_env"):
                name = table.get(key)
                if name is not None and not os.environ.get(str(name)):
                    mistakes.append(f"[smtp] {key}: environment variable {name} is not set")
            try:
                port = int(table.get("port", 587))
            except (TypeError, ValueError):
                mistakes.append(f"[smtp] port: {table.get('port')!r} is not a number")
                port = 587
            smtp = SmtpSettings(
                host=str(table["host"]),
                port=port,
                sender=str(table.get("sender", "")),
                username_env=table.get("username_env"),
                password_env=table.get("password_env"),
                require_tls=bool(table.get("require_tls", not _is_loopback(str(table["host"])))),
                timeout=float(table.get("timeout", 30)),
            )
            if "@" not in smtp.sender:
                mistakes.append("[smtp] sender: give the From address, e.g. sender = \"wellness@example.org\"")
            if not 1 <= smtp.port <= 65535:
                mistakes.append(f"[smtp] port: {smtp.port} is not a port number (1 to 65535); 587 is usual")

    jobs = []
    raw_jobs = data.get("job", [])
    if not isinstance(raw_jobs, list) or not raw_jobs:
        mistakes.append("no jobs: add at least one [[job]] table")
        raw_jobs = []
    names = set()
    for position, table in enumerate(raw_jobs, start=1):
        label = f'job {position}'
        name = str(table.get("name") or f"job-{position}")
        label = f'job "{name}"'
        if name in names:
            mistakes.append(f"{label}: the name is used twice; give each job its own name")
        names.add(name)
        known = {"name", "workbook", "days", "time", "times", "timezone", "outputs", "out", "mail_to",
                 "subject", "horizon", "retries", "retry_delay_minutes"}
        for key in table:
            if key not in known:
                mistakes.append(f'{label}: unknown setting "{key}" (expected one of: {", ".join(sorted(known))})')
        if not table.get("workbook"):
            mistakes.append(f"{label}: workbook is required (the facility .xlsx file)")
        days = []
        raw_days = table.get("days", list(DAY_NAMES))
        if not isinstance(raw_days, list) or not raw_days:
            mistakes.append(f'{label}: days must be a list of days, e.g. days = ["mon", "wed", "fri"]')
            raw_days = []
        for day in raw_days:
            key = str(day).strip().casefold()[:3]
            if key not in DAY_NAMES:
                mistakes.append(f'{label}: days: "{day}" is not a day; use mon, tue, wed, thu, fri, sat, sun')
            else:
                days.append(DAY_NAMES[key])
        raw_times = table.get("times", [table["time"]] if "time" in table else [])
        if not raw_times:
            mistakes.append(f'{label}: time is required, e.g. time = "07:30"')
        times = []
        for text in raw_times:
            try:
                times.append(_parse_time(text))
            except (TypeError, ValueError):
                mistakes.append(f'{label}: time "{text}" is not a time of day; use 24-hour HH:MM, e.g. "07:30"')
        zone = str(table.get("timezone", default_zone))
        try:
            if not _TIME_ZONE_NAME.fullmatch(zone):
                raise ValueError(zone)
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
            mistakes.append(f'{label}: timezone "{zone}" is not an IANA time zone name, e.g. America/Chicago')
        raw_outputs = table.get("outputs", list(DEFAULT_OUTPUTS))
        if not isinstance(raw_outputs, list) or not raw_outputs:
            mistakes.append(f'{label}: outputs must be a list of one or more of {", ".join(OUTPUTS)}')
            raw_outputs = []
        outputs = tuple(raw_outputs)
        for output in outputs:
            if output not in OUTPUTS:
                mistakes.append(f'{label}: outputs: "{output}" is not one of {", ".join(OUTPUTS)}')
        raw_mail_to = table.get("mail_to", [])
        if isinstance(raw_mail_to, str):
            raw_mail_to = [raw_mail_to]
        mail_to = tuple(str(address) for address in raw_mail_to)
        if mail_to and smtp is None:
            mistakes.append(f"{label}: mail_to is set but there is no [smtp] table to send through")
        for address in mail_to:
            if "@" not in address:
                mistakes.append(f'{label}: mail_to: "{address}" is not an e-mail address')
        retries = table.get("retries", 2)
        if not isinstance(retries, int) or not 0 <= retries <= 10:
            mistakes.append(f"{label}: retries must be a whole number from 0 to 10")
            retries = 2
        delay = table.get("retry_delay_minutes", 10)
        if not isinstance(delay, (int, float)) or delay <= 0:
            mistakes.append(f"{label}: retry_delay_minutes must be a number above 0")
            delay = 10
        horizon = table.get("horizon")
        if horizon is not None and (not isinstance(horizon, int) or horizon < 0):
            mistakes.append(f"{label}: horizon must be a whole number of days, 0 or more")
            horizon = None
        jobs.append(Job(
            name=name,
            workbook=(base / str(table.get("workbook", ""))).resolve(),
            days=tuple(sorted(set(days))),
            times=tuple(sorted(times)),
            timezone=zone,
            outputs=outputs,
            out_dir=(base / str(table.get("out", "reports")) / name).resolve(),
            mail_to=mail_to,
            subject=str(table.get("subject", "")),
            horizon=horizon,
            retries=retries,
            retry_delay=dt.timedelta(minutes=delay),
        ))

    if mistakes:
        count = f"{len(mistakes)} mistake" + ("s" if len(mistakes) != 1 else "")
        raise ConfigError(f"{path}: {count} to fix:\n" + "\n".join(f"  - {mistake}" for mistake in mistakes))
    return ScheduleConfig(
        path=path,
        jobs=tuple(jobs),
        smtp=smtp,
        run_log=(base / str(data.get("run_log", "handoff-runs.log"))).resolve(),
        state_file=(base / str(data.get("state_file", ".handoff-schedule-state.json"))).resolve(),
    )


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def latest_slot(job: Job, now: dt.datetime) -> dt.datetime | None:
    """Return the job's most recent scheduled moment at or before ``now``, or None."""
    zone = ZoneInfo(job.timezone)
    local_now = now.astimezone(zone)
    for days_back in range(0, 8):
        day = local_now.date() - dt.timedelta(days=days_back)
        if day.weekday() not in job.days:
            continue
        for time_of_day in reversed(job.times):
            slot = dt.datetime.combine(day, time_of_day, tzinfo=zone)
            if slot <= local_now:
                return slot
    return None


@dataclass
class JobState:
    """The runner's state for one job, kept between ticks and across restarts."""

    last_slot: dt.datetime | None = None
    attempts: int = 0
    retry_at: dt.datetime | None = None
    pending_slot: dt.datetime | None = None
    last_calendar: str | None = None


@dataclass
class RunOutcome:
    """The result of one run of one job."""

    ok: bool
    reason: str = ""
    counts: dict = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


class JobLock:
    """A lock file that keeps two runs of one job (in any process) from overlapping."""

    def __init__(self, path: Path, now: dt.datetime):
        self.path = path
        self.now = now
        self.held = False

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if not self._stale():
                    return False
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(handle, "w") as file:
                json.dump({"pid": os.getpid(), "started": self.now.isoformat()}, file)
            self.held = True
            return True
        return False

    def _stale(self) -> bool:
        try:
            started = dt.datetime.fromisoformat(json.loads(self.path.read_text())["started"])
        except (OSError, ValueError, KeyError, TypeError):
            return True
        return self.now - started > STALE_LOCK

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def send_mail(smtp: SmtpSettings, recipients: tuple[str, ...], subject: str, body: str,
              attachments: list[Path]) -> None:
    """Send one message with attachments, using STARTTLS when the server offers it.

    Raises OSError or smtplib.SMTPException when the message cannot be sent;
    also when ``require_tls`` is set and the server offers no STARTTLS.
    """
    message = EmailMessage()
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(body)
    for attachment in attachments:
        subtype = {
            ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ".ics": ("text", "calendar"),
            ".txt": ("text", "plain"),
            ".json": ("application", "json"),
        }.get(attachment.suffix, ("application", "octet-stream"))
        message.add_attachment(attachment.read_bytes(), maintype=subtype[0], subtype=subtype[1],
                               filename=attachment.name)

    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        elif smtp.require_tls:
            raise smtplib.SMTPException(
                f"{smtp.host} does not offer STARTTLS; set require_tls = false only for a trusted local relay"
            )
        if smtp.username_env:
            client.login(os.environ.get(smtp.username_env, ""), os.environ.get(smtp.password_env or "", ""))
        client.send_message(message)


class JobRunner:
    """Runs the jobs of one schedule file when their slots come round."""

    def __init__(self, config: ScheduleConfig, mailer=send_mail):
        self.config = config
        self.mailer = mailer
        self.states: dict[str, JobState] = {job.name: JobState() for job in config.jobs}
        self._load_state()

    # State -------------------------------------------------------------------

    def _load_state(self) -> None:
        try:
            saved = json.loads(self.config.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        for name, entry in saved.items():
            if name in self.states and isinstance(entry, dict):
                state = self.states[name]
                if entry.get("last_slot"):
                    state.last_slot = dt.datetime.fromisoformat(entry["last_slot"])
                state.last_calendar = entry.get("last_calendar")

    def _save_state(self) -> None:
        saved = {
            name: {
                "last_slot": state.last_slot.isoformat() if state.last_slot else None,
                "last_calendar": state.last_calendar,
            }
            for name, state in self.states.items()
        }
        from toolkit.files import write_text_atomic

        write_text_atomic(self.config.state_file, json.dumps(saved, indent=2))

    def start(self, now: dt.datetime) -> None:
        """Mark slots before the first start as done, so a new schedule does not fire at once."""
        changed = False
        for job in self.config.jobs:
            state = self.states[job.name]
            if state.last_slot is None:
                state.last_slot = latest_slot(job, now)
                changed = True
        if changed:
            self._save_state()
        log.info("Schedule started with %d job(s): %s", len(self.config.jobs),
                 ", ".join(job.name for job in self.config.jobs))

    # Running -----------------------------------------------------------------

    def tick(self, now: dt.datetime) -> list[tuple[str, RunOutcome]]:
        """Run every job whose slot or retry has come round by ``now``; return what ran."""
        ran = []
        for job in self.config.jobs:
            state = self.states[job.name]
            slot = latest_slot(job, now)
            if slot is not None and (state.last_slot is None or slot > state.last_slot):
                if state.pending_slot is not None and state.pending_slot != slot:
                    log.warning("Job %s: giving up retries for %s; a newer slot is due", job.name,
                                state.pending_slot.isoformat())
                state.pending_slot, state.attempts, state.retry_at = slot, 0, None
                state.last_slot = slot
                self._save_state()
            if state.pending_slot is None or (state.retry_at is not None and now < state.retry_at):
                continue
            ran.append((job.name, self._attempt(job, state, now)))
        return ran

    def _attempt(self, job: Job, state: JobState, now: dt.datetime) -> RunOutcome:
        state.attempts += 1
        outcome = self.run_job(job, now)
        if outcome.ok or outcome.reason == "skipped: previous run still in progress":
            state.pending_slot, state.retry_at = None, None
        elif state.attempts <= job.retries:
            state.retry_at = now + job.retry_delay
            log.warning("Job %s failed (attempt %d of %d): %s; retrying at %s", job.name, state.attempts,
                        job.retries + 1, outcome.reason, state.retry_at.isoformat())
        else:
            log.error("Job %s failed after %d attempts: %s", job.name, state.attempts, outcome.reason)
            state.pending_slot, state.retry_at = None, None
        return outcome

    def run_once(self, now: dt.datetime) -> list[tuple[str, RunOutcome]]:
        """Run every job now, with retries disabled, for cron and Task Scheduler."""
        return [(job.name, self.run_job(job, now)) for job in self.config.jobs]

    def run_job(self, job: Job, now: dt.datetime) -> RunOutcome:
        """Run one job now: write its outputs, mail them, and log the run."""
        lock = JobLock(job.out_dir / ".handoff-run.lock", now)
        if not lock.acquire():
            outcome = RunOutcome(False, "skipped: previous run still in progress")
            self._log_run(job, now, outcome)
            return outcome
        try:
            outcome = self._produce(job, now)
        except HandoffError as error:
            outcome = RunOutcome(False, str(error))
        except (OSError, smtplib.SMTPException, socket.timeout) as error:
            outcome = RunOutcome(False, f"{type(error).__name__}: {error}")
        except Exception as error:  # a job must never stop the loop or the other jobs
            log.exception("Job %s: unexpected failure", job.name)
            outcome = RunOutcome(False, f"unexpected {type(error).__name__}: {error}")
        finally:
            lock.release()
        self._log_run(job, now, outcome)
        return outcome

    def _produce(self, job: Job, now: dt.datetime) -> RunOutcome:
        from toolkit.due import due_items
        from toolkit.facility import load_facility

        facility = load_facility(job.workbook, now, prepare_calendar=True)
        facility.require_sheets()
        settings = facility.settings
        horizon = job.horizon if job.horizon is not None else int(settings.number("Due soon horizon (days)"))
        items = due_items(facility, horizon)
        errors = sum(1 for p in facility.problems if p.severity == "error")
        counts = {
            "errors": errors,
            "warnings": len(facility.problems) - errors,
            "overdue": sum(1 for i in items if i.status == "overdue"),
            "due_soon": sum(1 for i in items if i.status == "due soon"),
            "unscheduled": sum(1 for i in items if i.status == "unscheduled"),
        }
        stamp = facility.as_of.strftime("%Y-%m-%d_%H%M")
        folder = job.out_dir / stamp
        files: list[Path] = []
        owner_names = {c.get("Contact ID"): c.get("Name") or "" for c in facility.contacts if c.get("Contact ID")}
        if "check" in job.outputs:
            from toolkit.spreadsheets import write_problem_report

            files.append(write_problem_report(folder / "check-report.xlsx", job.workbook, facility.as_of,
                                              facility.problems))
        if "due" in job.outputs:
            from toolkit.spreadsheets import write_due_report

            files.append(write_due_report(folder / "due-report.xlsx", job.workbook, settings.facility_name,
                                          facility.as_of, items, owner_names))
        if "calendar" in job.outputs:
            from toolkit.files import atomic_path
            from toolkit.ical import build_calendar

            state = self.states.get(job.name)
            previous = None
            if state and state.last_calendar and Path(state.last_calendar).exists():
                previous = Path(state.last_calendar).read_bytes()
            target = folder / "due-items.ics"
            with atomic_path(target) as temporary:
                temporary.write_bytes(build_calendar(settings.facility_name, facility.as_of, items, owner_names,
                                                     previous))
            files.append(target)
            if state is not None:
                state.last_calendar = str(target)
        if "pack" in job.outputs:
            from toolkit.pack import write_weekly_pack

            summary = write_weekly_pack(facility, folder / "pack", horizon)
            files.extend(folder / "pack" / path for path in summary.files
                         if path.suffix in (".txt",) or path.name == "weekly-agenda.docx")

        if job.mail_to:
            subject = job.subject or f"{settings.facility_name}: {counts['overdue']} overdue, " \
                                     f"{counts['due_soon']} due soon"
            body = mail_body(job, settings.facility_name, facility.as_of, counts)
            self.mailer(self.config.smtp, job.mail_to, subject, body, files)
        self._save_state()
        return RunOutcome(True, "", counts, files)

    def _log_run(self, job: Job, now: dt.datetime, outcome: RunOutcome) -> None:
        entry = {
            "time": now.astimezone(ZoneInfo(job.timezone)).isoformat(timespec="seconds"),
            "job": job.name,
            "outcome": "ok" if outcome.ok else "failed",
            **outcome.counts,
        }
        if outcome.reason:
            entry["reason"] = outcome.reason
        if outcome.ok:
            log.info("Job %s ran: %s", job.name, outcome.counts)
        self.config.run_log.parent.mkdir(parents=True, exist_ok=True)
        with self.config.run_log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def mail_body(job: Job, facility_name: str, as_of: dt.datetime, counts: dict) -> str:
    """Return the plain-text body of a report mail: counts only, no resident details."""
    return (
        f"{facility_name}: scheduled report \"{job.name}\" as of {as_of:%Y-%m-%d %H:%M %Z}.\n\n"
        f"Overdue: {counts['overdue']}\nDue soon: {counts['due_soon']}\n"
        f"Unscheduled (a date is missing): {counts['unscheduled']}\n"
        f"Workbook problems: {counts['errors']} errors, {counts['warnings']} warnings\n\n"
        "The attached files hold the details. They contain resident information: keep them within the "
        "care team.\n"
    )


def run_forever(runner: JobRunner, clock, sleep, check_every: float = 20.0, stop=lambda: False) -> None:
    """Call ``runner.tick`` from a ``schedule`` loop until ``stop()`` returns True.

    ``clock`` returns the current aware date-time and ``sleep`` waits, so the
    loop can be driven by a simulated clock.
    """
    import schedule

    scheduler = schedule.Scheduler()
    scheduler.every(max(1, int(check_every))).seconds.do(lambda: runner.tick(clock()))
    runner.start(clock())
    runner.tick(clock())
    while not stop():
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        sleep(max(0.5, min(check_every, idle if idle is not None else check_every)))
