"""``manage.py import_invites PATH --enterprise SLUG``: bulk import of invites (see README "Bulk import").

Only translates between the operator and ``appointments.imports``: opens the file (``-`` is
standard input), shows progress, reports failed rows on stderr and in ``--errors``, prints the
summary and exits 1 when any row failed.
"""

from __future__ import annotations

import csv
import gc
import io
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from participants.models import Employee, Enterprise

from ...imports import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    CsvHeaderError,
    ImportSummary,
    InviteImport,
    RowError,
    read_csv,
    read_jsonl,
)
from ...models import Appointment
from ...selectors import referenced_rows
from ...services import Actor

READERS = {"jsonl": read_jsonl, "csv": read_csv}
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class Command(BaseCommand):
    help = "Import invites from a JSON Lines or CSV file into one enterprise (re-runs skip rows already imported)."
    # Without a terminal, a progress line at most this often (seconds).
    progress_interval = 5.0

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to import; '-' reads standard input.")
        parser.add_argument("--enterprise", dest="slug", required=True, help="The enterprise's slug.")
        parser.add_argument("--format", choices=sorted(READERS), help="Default: from the file's extension.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, write nothing.")
        parser.add_argument("--errors", metavar="REPORT.csv", help="Write failed rows to this CSV file.")
        parser.add_argument("--atomic", action="store_true", help="All or nothing: any failed row rolls back all.")
        parser.add_argument(
            "--created-by", metavar="EMPLOYEE_ID", help="The employee (id or external://…) the invites are created by."
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows checked and written together.")

    def handle(self, *args, path, slug, format, dry_run, errors, atomic, created_by, batch_size, **options):
        enterprise = Enterprise.objects.filter(slug=slug).first()
        if enterprise is None:
            raise CommandError(f"No enterprise {slug!r}")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE}")
        format = format or EXTENSIONS.get(Path(path).suffix.lower())
        if format is None:
            raise CommandError(f"Cannot tell the format of {path!r} from its extension: use --format jsonl|csv")
        actor = self._actor(enterprise, created_by)

        with ExitStack() as stack:
            stream = self._open(path, stack)
            report = csv.writer(stack.enter_context(open(errors, "w", newline="", encoding="utf-8"))) if errors else None
            if report:
                report.writerow(["line", "code", "message", "pointer"])
            bar = stack.enter_context(tqdm(unit=" rows", file=sys.stderr)) if sys.stderr.isatty() else None
            progress = Progress(self.stderr, bar, self.progress_interval)

            def on_error(error: RowError):
                progress.write(f"line {error.line}: {error.code} {error.message}" + f" ({error.pointer})" * bool(error.pointer))
                if report:
                    report.writerow([error.line, error.code, error.message, error.pointer])

            run = InviteImport(
                enterprise=enterprise,
                actor=actor,
                dry_run=dry_run,
                atomic=atomic,
                batch_size=batch_size,
                on_error=on_error,
                on_batch=progress.update,
            )
            try:
                with objects_loaded_before_left_alone():
                    summary = run.run(READERS[format](stream))
            except (CsvHeaderError, csv.Error) as error:
                # Unreadable CSV: rows before it are imported (a re-run skips them).
                raise CommandError(f"CSV: {error}") from None
            except UnicodeDecodeError as error:
                raise CommandError(f"The file is not UTF-8: {error}") from None
            except DatabaseError as error:
                # With --atomic the database checks the references at the very end: a row it
                # refuses then (its reference deleted meanwhile) rolls the whole import back.
                message = str(error).strip().splitlines()[0]
                raise CommandError(f"The database refused the import, nothing was written: {message}") from None

        self.stdout.write(summary_line(summary))
        if summary.failed:
            raise CommandError(f"{summary.failed} row(s) failed", returncode=1)

    def _actor(self, enterprise: Enterprise, created_by: str | None) -> Actor:
        if created_by is None:
            return Actor(type=Appointment.ActorType.SYSTEM, id=None, channel=Appointment.Channel.IMPORT)
        found = referenced_rows(enterprise=enterprise, wanted={Employee: {created_by}}, external_ids=True)
        employee = found[Employee].get(created_by)
        if employee is None:
            raise CommandError(f"No employee {created_by!r} in {enterprise.slug} (or not active)")
        return Actor(type=Appointment.ActorType.EMPLOYEE, id=str(employee.pk), channel=Appointment.Channel.IMPORT)

    def _open(self, path: str, stack: ExitStack):
        # newline="" lets the csv module see line breaks inside quoted cells; utf-8-sig drops the
        # byte-order mark that spreadsheet programs write.
        if path == "-":
            return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        try:
            return stack.enter_context(open(path, encoding="utf-8-sig", newline=""))
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None


@contextmanager
def objects_loaded_before_left_alone():
    """Keep Python's cycle collector from walking, again and again, the objects loaded before the
    run (Django, DRF, the time-zone data): they outlive it anyway. That walking took a tenth of an
    import's time (docs/benchmarks.md)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class Progress:
    """A tqdm bar on a terminal; otherwise a plain line at most every ``interval`` seconds."""

    def __init__(self, stream, bar: tqdm | None, interval: float):
        self.stream, self.bar, self.interval = stream, bar, interval
        self.last_line = time.monotonic()
        self.rows = 0

    def write(self, message: str):
        if self.bar is not None:
            self.bar.write(message, file=sys.stderr)
        else:
            self.stream.write(message)

    def update(self, summary: ImportSummary):
        if self.bar is not None:
            self.bar.update(summary.rows - self.rows)
            self.bar.set_postfix(created=summary.created, skipped=summary.skipped, failed=summary.failed)
        elif time.monotonic() - self.last_line >= self.interval:
            self.last_line = time.monotonic()
            self.stream.write(f"… {summary_line(summary)}")
        self.rows = summary.rows


def summary_line(summary: ImportSummary) -> str:
    if summary.dry_run:
        created = f"{summary.created} would be created (dry run)"
    elif summary.rolled_back:
        created = f"0 created ({summary.created} valid rows rolled back: --atomic and rows failed)"
    else:
        created = f"{summary.created} created"
    return (
        f"{summary.rows} rows: {created}, {summary.skipped} skipped, {summary.failed} failed "
        f"in {summary.seconds:.1f} s ({summary.rows_per_second:.0f} rows/s)"
    )
