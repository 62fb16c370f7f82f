"""The ``handoff`` command line: thin commands over the library.

Each command parses its options, calls one library function, renders the
result and picks the exit code. Only this module prints or exits. Heavy
libraries (docxtpl, pandas) are imported inside the commands that need them,
so ``handoff --help``, ``check`` and ``due`` start quickly.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from pathlib import Path

import click

from toolkit import __version__
from toolkit.errors import HandoffError, OutputError
from toolkit.progress import end_progress_line, terminal_progress

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


def _stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM (systemd stop, a cron timeout) into SystemExit.

    Python's default for SIGTERM ends the process at once, which leaves pool
    workers running and a staging folder of resident documents behind. An
    exception lets the cleanup in ``finally`` blocks and context managers run.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


class HandoffGroup(click.Group):
    """A click group that turns HandoffError into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context):
        _stop_cleanly_on_sigterm()
        try:
            return super().invoke(ctx)
        except HandoffError as error:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            end_progress_line()
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            end_progress_line()
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader of our output went away (e.g. `handoff due ... | head`): stop quietly,
            # with the status the command had already decided on (check: 1 when there are errors).
            sys.stderr.close()
            ctx.exit((ctx.obj or {}).get("status", EXIT_OK))
        except MemoryError:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            end_progress_line()
            click.echo("Error: out of memory. Close other programs, or raise the memory limit of this "
                       "process (ulimit -v), and run this again.", err=True)
            ctx.exit(EXIT_UNREADABLE)
        except Exception as error:  # the last guard: users never see a traceback without --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            end_progress_line()
            click.echo(
                f"Error: unexpected failure ({type(error).__name__}). Run again with --debug for details.",
                err=True,
            )
            ctx.exit(EXIT_UNREADABLE)


def parse_as_of(text: str | None) -> dt.datetime | dt.date | None:
    """Read an ``--as-of`` value: a date (start of that day) or a date-time, local to the facility."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        from toolkit.values import parse_datetime

        try:
            moment = parse_datetime(text)
        except ValueError:
            raise click.BadParameter(
                f'"{text}" is not a date or date-time. Use 2026-12-04 or 2026-12-04T09:00.'
            ) from None
    year = moment.year
    if not 1900 <= year <= 9000:
        raise click.BadParameter(f'"{text}": the year {year} is outside what the toolkit reports on (1900 to 9000).')
    if isinstance(moment, dt.datetime) and len(text.strip()) == 10:
        return moment.date()
    return moment


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def load(workbook: str, as_of: str | None, warn: bool = False, prepare_calendar: bool = False,
         quiet: bool = False, due_rules: bool = False, due_horizon: int | None = None, due_json: bool = False):
    """Load and check the workbook at the given or current moment.

    With ``warn``, problems that change what the command can see (the
    workbook open in Excel, an optional sheet missing) are repeated on
    stderr, since commands other than ``check`` do not list problems.
    ``prepare_calendar`` is for commands that work out due items, and
    ``due_rules``, ``due_horizon`` and ``due_json`` for one that then calls
    ``due_items`` (or ``due_json_lines`` when ``due_json``) once (see
    ``load_facility``). Reading a large workbook shows a progress
    bar on a terminal unless ``quiet``.
    """
    from toolkit.facility import load_facility

    facility = load_facility(workbook, parse_as_of(as_of) or now_utc(), prepare_calendar=prepare_calendar,
                             progress=terminal_progress(quiet), due_rules=due_rules, due_horizon=due_horizon,
                             due_json=due_json)
    if warn:
        for problem in facility.problems:
            renamed_sheet = problem.code == "SHEET-MISSING" and "Did you mean" in problem.message
            if problem.code == "WORKBOOK-OPEN" or renamed_sheet:
                click.echo(f"Warning: {problem.message}", err=True)
    return facility


def collection_paused(command):
    """Run a report command with the cyclic garbage collector paused throughout.

    The loading and the due rules pause it themselves. Pausing for the whole
    command also spares the report one walk over every object they created.
    The collector's state is restored afterwards, also when the command exits.
    The command also lets ``launch`` end the process without freeing each object.
    """

    @functools.wraps(command)
    def run_paused(*arguments, **options):
        from toolkit.facility import collector_paused

        global _quick_exit
        _quick_exit = True
        with collector_paused():
            return command(*arguments, **options)

    return run_paused


# Set by check and due, whose process may end without Python freeing every
# object one by one. The operating system reclaims the memory at once, where
# freeing took 0.1 s after loading a 1,000-resident workbook and 0.6 s after
# 5,000 (measured).
_quick_exit = False


def launch() -> None:
    """Run ``handoff`` as a program: the entry point of the installed command and ``python -m toolkit``.

    After check or due, output is flushed and the process ends at once with
    the command's exit status. Other commands end the usual way, so their
    clean-up at exit (pool workers, log files) runs as always.
    """
    # A reading thread that finishes its part of a sheet outside the GIL waits up
    # to this interval for the main thread to hand the GIL back. 1 ms instead of
    # the default 5 ms made check about 2 to 3 percent quicker on the benchmark
    # workbooks (median of 15 runs at 1,000 residents, of 3 at 5,000).
    sys.setswitchinterval(0.001)
    try:
        main(prog_name="handoff")
        status = 0
    except SystemExit as request:
        status = request.code
    if not _quick_exit:
        sys.exit(status)
    if status is None:
        status = 0
    elif not isinstance(status, int):
        print(status, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (`handoff due ... >&-`)
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away (`handoff due ... | head`), or the stream was closed
            pass
    os._exit(status)


def check_output_path(output: str | None, workbook: str) -> None:
    """Reject an output path that would replace the workbook or a device, before any work is done."""
    if not output:
        return
    target = Path(output)
    if target.exists() and target.resolve() == Path(workbook).resolve():
        raise HandoffError(f"{output} is the workbook itself, which is never changed. Give a new file name.")
    if target.exists() and not target.is_file():
        raise HandoffError(f"{output} exists and is not a regular file. Give a new file name.")


def emit(text, output: str | None, json_text: bool = False) -> None:
    """Write a report (a string, or an iterable of string pieces) to ``output`` atomically, or to stdout.

    ``json_text`` is for JSON, which escapes every control character, so
    click.echo's ``color`` argument turns off its search for terminal escape
    codes to remove. Where stdout is not a terminal, that search took about
    a quarter of the time of writing a large JSON report.
    """
    pieces = [text] if isinstance(text, str) else text
    if output:
        from toolkit.files import atomic_path

        with atomic_path(output) as temporary, temporary.open("w", encoding="utf-8") as handle:
            handle.writelines(pieces)
    else:
        # Joined a few thousand pieces at a time: one click.echo per piece took longer than making them.
        write = functools.partial(click.echo, nl=False, color=True if json_text else None)
        batch: list[str] = []
        try:
            for piece in pieces:
                batch.append(piece)
                if len(batch) == 2000:
                    write("".join(batch))
                    batch.clear()
            if batch:
                write("".join(batch))
        except BrokenPipeError:
            raise
        except OSError as error:  # a full disk or a failing device behind standard output
            raise OutputError(
                f"Cannot write the report to standard output ({error.strerror or error}). "
                "Free some space, or write the report to a file with -o."
            ) from None


as_of_option = click.option(
    "--as-of", metavar="DATE[THH:MM]",
    help="The moment to report at, in the facility's time zone: 2026-12-04 (start of day) or "
         "2026-12-04T09:00. Default: now.",
)
quiet_option = click.option(
    "-q", "--quiet", is_flag=True,
    help="No progress bar. (The bar is shown only on a terminal, for work taking more than 2 seconds.)",
)
output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file instead of the screen."
)


@click.group(cls=HandoffGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handoff")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for unexpected errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Check facility workbooks, list what is due and write the weekly pack.

    Exit status: 0 success, 1 the workbook has errors (check), 2 the workbook
    or an option cannot be used.

    Example: handoff run facility.xlsx --out pack
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def init(file: str, force: bool) -> None:
    """Write a blank facility workbook to FILE.

    The workbook has an Instructions sheet, a dropdown on every choice column,
    date formats, frozen header rows, and default Settings and Standards.

    Example: handoff init maple-grove.xlsx
    """
    from toolkit.blank_workbook import write_blank_workbook

    if Path(file).suffix.casefold() != ".xlsx":
        raise HandoffError(f"{file}: a facility workbook is an Excel .xlsx file. Give a name ending in .xlsx.")

    try:
        path = write_blank_workbook(file, overwrite=force)
    except FileExistsError:
        raise HandoffError(f"{file} already exists. Choose another name, or add --force to overwrite it.") from None
    click.echo(f"Wrote {path}. Fill in Residents, Contacts and Authorization Map, then run: handoff check {path}")


@main.command()
# A folder is reported by the reader in one line, like every other file that cannot be read.
@click.argument("workbook", type=click.Path())
@as_of_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "xlsx"]), default="text",
              show_default=True, help="Report format; xlsx needs -o.")
@click.option("--max-problems", type=click.IntRange(min=1), help="Show at most this many problems (text format).")
@click.option("--annotate", type=click.Path(dir_okay=False), metavar="OUT.xlsx",
              help="Also write a copy of the workbook with problem cells highlighted and explained.")
@output_option
@quiet_option
@collection_paused
def check(workbook: str, as_of: str | None, output_format: str, max_problems: int | None,
          annotate: str | None, output: str | None, quiet: bool) -> None:
    """List the problems in WORKBOOK, with the sheet and cell of each.

    Exit status 0 when there are no errors (warnings allowed), 1 when there are
    errors, 2 when the file cannot be read.

    Example: handoff check facility.xlsx --as-of 2026-12-04T09:00
    """
    from toolkit import report
    from toolkit.problems import count_by_severity

    if output_format == "xlsx" and not output:
        raise click.UsageError("--format xlsx writes a workbook: give its file name with -o/--output.")
    check_output_path(output, workbook)
    check_output_path(annotate, workbook)
    facility = load(workbook, as_of, quiet=quiet)
    errors, _ = count_by_severity(facility.problems)
    status = EXIT_PROBLEMS if errors else EXIT_OK
    click.get_current_context().obj["status"] = status  # kept if the reader of the report goes away
    name = Path(workbook).name
    if output_format == "json":
        emit(report.problems_json(name, facility.as_of, facility.problems), output, json_text=True)
    elif output_format == "xlsx":
        from toolkit.spreadsheets import write_problem_report

        write_problem_report(Path(output), Path(workbook), facility.as_of, facility.problems)
    else:
        emit(report.problems_text(name, facility.as_of, facility.problems, max_problems), output)
    if annotate:
        from toolkit.spreadsheets import annotate_workbook

        if Path(annotate).resolve() == Path(workbook).resolve():
            raise HandoffError("--annotate must name a new file; the workbook itself is never changed.")
        annotate_workbook(Path(workbook), Path(annotate), facility.problems)
    sys.exit(status)


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@as_of_option
@click.option("--horizon", type=click.IntRange(min=0, max=3650), metavar="DAYS",
              help="Report items due within this many days. Default: the Due soon horizon setting (7).")
@click.option("--owner", metavar="CONTACT",
              help="Only this contact's items; for a partner, only residents whose consent covers them.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "xlsx", "ics"]), default="text",
              show_default=True, help="Report format; xlsx and ics need -o.")
@click.option("--previous", type=click.Path(dir_okay=False, exists=True), metavar="OLD.ics",
              help="With --format ics: last week's file, so items no longer due are sent as cancelled.")
@output_option
@quiet_option
@collection_paused
def due(workbook: str, as_of: str | None, horizon: int | None, owner: str | None, output_format: str,
        previous: str | None, output: str | None, quiet: bool) -> None:
    """List what is overdue, due soon or unscheduled in WORKBOOK.

    Exits 0 whatever it finds; 2 when the workbook cannot be read or a
    required sheet is missing.

    Example: handoff due facility.xlsx --as-of 2026-12-04T09:00 --horizon 14
    """
    from toolkit import report
    from toolkit.consent import items_for_owner
    from toolkit.due import due_items, due_json_lines

    if output_format in ("xlsx", "ics") and not output:
        raise click.UsageError(f"--format {output_format} writes a file: give its name with -o/--output.")
    if previous and output_format != "ics":
        raise click.UsageError("--previous is the last calendar file, so it needs --format ics.")
    check_output_path(output, workbook)
    # The JSON report of every item is written line by line by the processes that work the items out.
    json_lines = output_format == "json" and not owner
    facility = load(workbook, as_of, warn=True, prepare_calendar=True, quiet=quiet, due_rules=True,
                    due_horizon=horizon, due_json=json_lines)
    items = item_lines = None
    try:
        facility.require_sheets()
        if horizon is None:
            horizon = int(facility.settings.number("Due soon horizon (days)"))
        if json_lines:
            item_lines = due_json_lines(facility, horizon)
        else:
            items = due_items(facility, horizon)
    finally:
        if facility.forked is not None:  # due_items was not reached: stop the process working out rules
            facility.forked.close()
            facility.forked = None
    if owner:
        items = items_for_owner(facility, items, owner)
    settings = facility.settings
    name = Path(workbook).name
    owner_names = {record.get("Contact ID"): record.get("Name") or "" for record in facility.contacts
                   if record.get("Contact ID")}
    if output_format == "json":
        if item_lines is None:
            item_lines = report.item_json_lines(items)
        emit(report.due_json_chunks(name, settings.facility_name, facility.as_of, settings.timezone_name, horizon,
                                    item_lines),
             output, json_text=True)
    elif output_format == "xlsx":
        from toolkit.spreadsheets import write_due_report

        write_due_report(Path(output), Path(workbook), settings.facility_name, facility.as_of, items, owner_names)
    elif output_format == "ics":
        from toolkit.files import atomic_path
        from toolkit.ical import build_calendar

        previous_bytes = Path(previous).read_bytes() if previous else None
        try:
            calendar = build_calendar(settings.facility_name, facility.as_of, items, owner_names, previous_bytes)
        except ValueError as error:  # icalendar's parser for a --previous file that is not a calendar
            raise HandoffError(
                f"{previous} is not an iCalendar file ({str(error).splitlines()[0][:120]}). Give the .ics file "
                "this command wrote last time, or leave out --previous."
            ) from None
        with atomic_path(output) as temporary:
            temporary.write_bytes(calendar)
    else:
        emit(report.due_text(name, settings.facility_name, facility.as_of, horizon, items), output)


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--kind", "kinds", type=click.Choice(["one-pager", "agenda", "escalation-note", "risk-summary", "all"]),
              multiple=True,
              help="Which documents to write (repeatable). Default: all; for --partner, all means the agenda, "
                   "escalation notes and risk summaries.")
@click.option("--resident", "residents", multiple=True, metavar="ID",
              help="Only this resident (repeatable): their documents, and an agenda of them only.")
@click.option("--partner", metavar="CONTACT",
              help="Write this partner contact's set into OUT/partner-CONTACT/, replacing that folder: only "
                   "residents whose consent to share covers the contact.")
@as_of_option
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, exists=True),
              help="Folder of restyled templates; each file found there replaces the default of that name.")
@click.option("--pdf", is_flag=True, help="Also write a PDF of each document, when LibreOffice is installed.")
@quiet_option
def docs(workbook: str, out_dir: str, kinds: tuple[str, ...], residents: tuple[str, ...], partner: str | None,
         as_of: str | None, templates_dir: str | None, pdf: bool, quiet: bool) -> None:
    """Write Word documents: one-pagers, the weekly agenda, escalation notes and risk summaries.

    Without --partner this is the internal set, marked internal. With
    --partner it is what that contact may receive: their agenda, and the
    escalation notes and risk summaries of residents whose consent covers
    them. A contact with Role Facility is facility staff, so --partner
    refuses it: staff use the internal set.

    Example: handoff docs facility.xlsx --out docs-out --partner C-003 --as-of 2026-12-04T09:00
    """
    from toolkit.consent import find_contact
    from toolkit.due import due_items
    from toolkit.pack import DOCUMENT_KINDS, FOLDER_OF_KIND, PARTNER_KINDS, partner_folder_name, staging_folder, \
        write_documents

    facility = load(workbook, as_of, warn=True, prepare_calendar=True, quiet=quiet)
    facility.require_sheets()
    if not kinds or "all" in kinds:
        selected = PARTNER_KINDS if partner else DOCUMENT_KINDS
        # "all" plus a named kind (a partner's one-pagers) means both.
        selected = tuple(dict.fromkeys(selected + tuple(kind for kind in kinds if kind != "all")))
    else:
        selected = tuple(dict.fromkeys(kinds))
    contact_id = find_contact(facility, partner).get("Contact ID") if partner else None
    folder = partner_folder_name(contact_id) if contact_id else None
    items = due_items(facility)
    if folder:
        replace: tuple[str, ...] = (folder,)
    elif residents:
        replace = ()  # only some residents' documents: keep the others'
    else:
        # The whole set: earlier documents (of residents since discharged, say) go.
        replace = tuple(FOLDER_OF_KIND[kind] for kind in selected if kind in FOLDER_OF_KIND)
    with staging_folder(Path(out_dir), replace_folders=replace) as staging:
        files = write_documents(facility, items, staging, selected, residents,
                                Path(templates_dir) if templates_dir else None, partner=contact_id,
                                progress=terminal_progress(quiet))
        pdf_result = convert_pdf(staging, files) if pdf else None
    where = Path(out_dir) / folder if folder else Path(out_dir)
    audience = f" for contact {contact_id}" if contact_id else ""
    click.echo(f"Wrote {_plural(len(files), 'document')}{audience} to {where}: {describe_documents(files)}.")
    if pdf_result is not None:
        report_pdf(pdf_result)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def describe_documents(files: list[Path]) -> str:
    """Return e.g. "weekly agenda, 3 one-pagers, 2 escalation notes" for written .docx files."""
    from toolkit.pack import ESCALATION_NOTE_FOLDER, ONE_PAGER_FOLDER, RISK_SUMMARY_FOLDER

    nouns = {ONE_PAGER_FOLDER: ("one-pager", "one-pagers"),
             ESCALATION_NOTE_FOLDER: ("escalation note", "escalation notes"),
             RISK_SUMMARY_FOLDER: ("risk summary", "risk summaries")}
    counts = dict.fromkeys(nouns, 0)
    agenda = False
    for path in files:
        if path.suffix != ".docx":
            continue
        if path.parent.name in nouns:
            counts[path.parent.name] += 1
        elif path.name.startswith("weekly-agenda"):
            agenda = True
    parts = ["weekly agenda"] if agenda else []
    parts += [_plural(count, *nouns[folder]) for folder, count in counts.items() if count]
    return ", ".join(parts) or "nothing to write"


def convert_pdf(base: Path, files: list[Path]):
    """Convert the Word documents among ``files`` (relative to ``base``) to PDF beside them."""
    from toolkit.pdf import convert_to_pdf

    return convert_to_pdf(base, [path for path in files if path.suffix == ".docx"])


def report_pdf(result) -> None:
    """Print how many PDFs were written, or one line saying why PDF copies are missing."""
    if result.written:
        click.echo(f"Wrote {_plural(len(result.written), 'PDF copy', 'PDF copies')}.")
    if result.problem:
        missing = len(result.failed)
        scope = "" if not result.written else f" for {missing} of {missing + len(result.written)} documents"
        click.echo(f"PDF not available{scope}: {result.problem}. The Word documents were written.", err=True)


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to write the pack into.")
@as_of_option
@click.option("--horizon", type=click.IntRange(min=0, max=3650), metavar="DAYS",
              help="Due-soon horizon in days. Default: the Due soon horizon setting (7).")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, exists=True),
              help="Folder of restyled templates; each file found there replaces the default of that name.")
@click.option("--pdf", is_flag=True, help="Also write a PDF of each Word document, when LibreOffice is installed.")
@quiet_option
def run(workbook: str, out_dir: str, as_of: str | None, horizon: int | None, templates_dir: str | None,
        pdf: bool, quiet: bool) -> None:
    """Write the weekly pack for WORKBOOK: check report, due report, agenda and one-pagers.

    Exit status 0 when the pack was written (even if the workbook has
    problems: they are in the check report, and even when --pdf finds no
    LibreOffice), 2 when the workbook is unreadable or a required sheet is
    missing (then only the check report is written).

    Example: handoff run facility.xlsx --out pack --as-of 2026-12-04T09:00
    """
    from toolkit.pack import ONE_PAGER_FOLDER, write_weekly_pack
    from toolkit.report import format_moment

    facility = load(workbook, as_of, warn=True, prepare_calendar=True, quiet=quiet)
    summary = write_weekly_pack(facility, Path(out_dir), horizon, Path(templates_dir) if templates_dir else None,
                                pdf=pdf, progress=terminal_progress(quiet))
    click.echo(f"{facility.settings.facility_name}: weekly pack as of {format_moment(facility.as_of)}")
    click.echo(f"  Check:  {summary.errors} errors, {summary.warnings} warnings (check-report.txt)")
    if summary.required_sheets_missing:
        click.echo(
            f"Error: a required sheet is missing ({', '.join(facility.missing_required_sheets)}); only the "
            "check report was written.", err=True,
        )
        sys.exit(EXIT_UNREADABLE)
    counts = {status: sum(1 for item in summary.items if item.status == status)
              for status in ("overdue", "due soon", "unscheduled")}
    click.echo(f"  Due:    {counts['overdue']} overdue, {counts['due soon']} due soon, "
               f"{counts['unscheduled']} unscheduled (due-report.txt)")
    one_pagers = sum(1 for path in summary.files if path.parts[0] == ONE_PAGER_FOLDER and path.suffix == ".docx")
    click.echo(f"  Documents: weekly-agenda.docx and {one_pagers} one-pagers in {ONE_PAGER_FOLDER}/")
    if summary.pdf is not None:
        report_pdf(summary.pdf)
    click.echo(f"Wrote {len(summary.files)} files to {out_dir}")


@main.group("templates")
def templates_group() -> None:
    """Copy the default Word templates out for restyling, and check restyled ones.

    Example: handoff templates export my-templates, restyle them in Word,
    then handoff templates check my-templates and
    handoff docs facility.xlsx --out docs --templates my-templates
    """


@templates_group.command("export")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite templates of the same name already in FOLDER.")
def templates_export(folder: str, force: bool) -> None:
    """Copy the default Word templates into FOLDER, to restyle in Word.

    Example: handoff templates export my-templates
    """
    from toolkit.template_check import export_templates

    written = export_templates(Path(folder), overwrite=force)
    click.echo(f"Wrote {', '.join(path.name for path in written)} to {folder}.")
    click.echo(f"Restyle them in Word, then run: handoff templates check {folder}")


@templates_group.command("check")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
def templates_check(folder: str) -> None:
    """Check the restyled templates in FOLDER: names, tag syntax and fields.

    Each problem is one line naming the file, the part (main text, page
    header or footer) and the paragraph. Exit status 0 when every template is
    fine, 1 when there is any problem.

    Example: handoff templates check my-templates
    """
    from toolkit.template_check import folder_problems

    checked, problems = folder_problems(Path(folder))
    for problem in problems:
        click.echo(problem.message)
    if problems:
        click.echo(f"{_plural(len(problems), 'problem')} in {folder}.")
        sys.exit(EXIT_PROBLEMS)
    click.echo(f"{_plural(len(checked), 'template')} checked in {folder}: no problems.")


@main.command("schedule")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--once", is_flag=True, help="Run every job now and exit (for cron or Windows Task Scheduler).")
@click.option("--check", "check_only", is_flag=True, help="Only check the schedule file and exit.")
def schedule_command(config: str, once: bool, check_only: bool) -> None:
    """Run the reports configured in CONFIG (a TOML file) at their times.

    Runs until stopped (Ctrl+C). With --once, exits 0 when every job succeeded
    and 1 when any failed. Passwords come from environment variables named in
    the file, never from the file itself.

    Example: handoff schedule maple-grove-schedule.toml --once
    """
    import logging
    import time

    from toolkit.scheduler import JobRunner, load_config, run_forever

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    settings = load_config(config)
    if check_only:
        for job in settings.jobs:
            if not job.workbook.is_file():
                click.echo(f"Warning: job {job.name}: workbook {job.workbook} not found; the job fails until it "
                           "exists.", err=True)
        click.echo(f"{config}: {len(settings.jobs)} job(s) configured correctly.")
        return
    runner = JobRunner(settings)
    if once:
        results = runner.run_once(now_utc())
        for name, outcome in results:
            status = "ok" if outcome.ok else f"failed: {outcome.reason}"
            click.echo(f"{name}: {status}")
        sys.exit(EXIT_OK if all(outcome.ok for _, outcome in results) else EXIT_PROBLEMS)
    try:
        run_forever(runner, now_utc, time.sleep)
    except KeyboardInterrupt:
        logging.getLogger("handoff.schedule").info("Schedule stopped.")


@main.command("audit")
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(), metavar="WORKBOOK...")
@click.option("--from", "date_from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="First day of the period, e.g. 2026-11-01, in each facility's time zone.")
@click.option("--to", "date_to", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="DATE",
              help="Last day of the period, counted to the end of that day.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write governance-audit.docx and governance-audit.xlsx into.")
@as_of_option
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, exists=True),
              help="Folder of restyled templates; an audit.docx found there replaces the default.")
@quiet_option
def audit_command(workbooks: tuple[str, ...], date_from: dt.datetime, date_to: dt.datetime, out_dir: str,
                  as_of: str | None, templates_dir: str | None, quiet: bool) -> None:
    """Write the governance audit of one or many facility workbooks for a period.

    Counts whether escalation standards were met, service gaps were resolved,
    risks were reviewed after incidents and maps were completed in time. A
    folder means every .xlsx workbook in it. Exits 2 when a workbook
    cannot be read or lacks a required sheet, and then writes nothing.

    Example: handoff audit facilities/ --from 2026-11-01 --to 2026-11-30 --out audit-november
    """
    from toolkit.audit import HEADLINE_MEASURES, Period, audit_workbooks, expand_workbook_arguments
    from toolkit.audit_report import write_audit

    start, end = date_from.date(), date_to.date()
    if end < start:
        raise click.UsageError(f"--to {end} is before --from {start}. Give the first day of the period to --from.")
    out = Path(out_dir)
    if any(Path(argument).is_dir() and Path(argument).resolve() == out.resolve() for argument in workbooks):
        raise click.UsageError(
            "--out names the folder of workbooks being audited, so the next audit of that folder would read "
            "governance-audit.xlsx as a workbook. Choose another folder."
        )
    paths = expand_workbook_arguments(workbooks)
    result = audit_workbooks(paths, Period(start, end), parse_as_of(as_of) or now_utc(), terminal_progress(quiet))
    files = write_audit(result, out, Path(templates_dir) if templates_dir else None)

    count = len(result.facilities)
    click.echo(f"Governance audit of {result.combined.name if count == 1 else f'{count} facilities'}, "
               f"{result.period.label}")
    for key in HEADLINE_MEASURES:
        figure = result.combined.figure(key)
        click.echo(f"  {figure.label}: {figure.result_text}")
    click.echo(f"Wrote {' and '.join(path.name for path in files)} to {out_dir}")
