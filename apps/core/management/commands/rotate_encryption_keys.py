"""Re-encrypt every encrypted field value under the first key of FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.encryption_services import DEFAULT_BATCH_SIZE, ColumnReport, encrypted_fields_rotate
from apps.core.exceptions import PlatformError

# Enough to find the rows; a long list would bury the summary.
MAX_LISTED_PKS = 20


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored encrypted value under the first key of FIELD_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; remove the old keys only once it succeeds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per batch, each batch in its own transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            report = encrypted_fields_rotate(batch_size=batch_size, on_progress=self._print_progress)
        except PlatformError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Done: {report.reencrypted} re-encrypted, {report.already_current} already under the current key, "
            f"{report.undecryptable} undecryptable, in {len(report.columns)} column(s)."
        )
        if report.undecryptable:
            details = "; ".join(
                f"{column.label}: pk {', '.join(map(str, column.undecryptable_pks[:MAX_LISTED_PKS]))}"
                + (" ..." if column.undecryptable > MAX_LISTED_PKS else "")
                for column in report.columns
                if column.undecryptable
            )
            raise CommandError(
                f"{report.undecryptable} value(s) could not be decrypted with any key in FIELD_ENCRYPTION_KEYS "
                f"and were left unchanged ({details}). Add back the key they were encrypted with and run again."
            )
        self.stdout.write(self.style.SUCCESS("Every encrypted value is under the current key."))

    def _print_progress(self, column: ColumnReport) -> None:
        state = "done" if column.finished else "in progress"
        self.stdout.write(
            f"{column.label}: {column.processed} row(s) {state} "
            f"({column.reencrypted} re-encrypted, {column.already_current} already current, "
            f"{column.undecryptable} undecryptable)"
        )
