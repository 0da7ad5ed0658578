"""``manage.py import_ocf PATH [--dry-run] [--accept-warnings] --by EMAIL [--approved-by EMAIL]``:
an OCF package (any OCF 1.x) as a new issuer.

``--dry-run`` writes nothing: it prints the report of
:func:`~apps.captable.ocf.importer.ocf_dry_run` (the issuer, the OCF version declared, the
package's date, how many objects of each type, the cap table the import would produce on that
date, then every error and every warning) and exits with status 1 when there are errors, 0
otherwise. Otherwise ``--approved-by`` names the second person the import needs; a package with
warnings is refused unless ``--accept-warnings`` is given, in which case the warnings are kept
on the import operation's history and printed.

A refused package is printed as the command's error, every problem on its line, and the command
exits with status 1 having written nothing; no refusal ends in a traceback. How much of a
package is read is bounded by ``OCF_IMPORT_MAX_FILE_BYTES``, ``OCF_IMPORT_MAX_UNCOMPRESSED_BYTES``
and ``OCF_IMPORT_MAX_MEMBERS``.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.captable.ocf import OcfWarningsNotAccepted
from apps.captable.ocf.importer import (
    ocf_dry_run,
    ocf_import,
    ocf_import_counts,
    ocf_import_warnings_accepted,
)
from apps.core.exceptions import DomainError


def user_from_email(email: str, option: str) -> User:
    """Find the user whose e-mail address is ``email``."""
    try:
        return User.objects.get_by_natural_key(email)
    except User.DoesNotExist:
        raise CommandError(f"{option}: no user with the e-mail address {email!r}") from None


class Command(BaseCommand):
    help = (
        "Import an Open Cap Format package (a folder with its manifest, or an .ocf.zip; any OCF "
        "1.x) as a new issuer; nothing is written unless the whole package is valid, supported, "
        "within the OCF_IMPORT_MAX_* size limits, and its warnings are accepted. --dry-run "
        "reports what the import would do and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The package's folder or .ocf.zip file.")
        parser.add_argument("--by", required=True, help="E-mail of who makes the import.")
        parser.add_argument(
            "--approved-by",
            help="E-mail of who approves it (another person); required unless --dry-run.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what the import would do, its errors and warnings; write nothing.",
        )
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="Import a package that has warnings; they are kept on the import's history.",
        )

    def handle(
        self,
        *args,
        path: Path,
        by: str,
        approved_by: str | None,
        dry_run: bool,
        accept_warnings: bool,
        **options,
    ):
        maker = user_from_email(by, "--by")
        checker = user_from_email(approved_by, "--approved-by") if approved_by else None
        if not dry_run and checker is None:
            raise CommandError(
                "--approved-by is required to import (it is optional with --dry-run)"
            )

        def progress(stage: str, done: int, total: int) -> None:
            self.stdout.write(f"  {stage}: {done}" + (f" of {total}" if total else ""))

        try:
            if dry_run or checker is None:
                self._dry_run(path, maker, progress)
                return
            issuer = ocf_import(
                path=path,
                by=maker,
                approved_by=checker,
                accept_warnings=accept_warnings,
                progress=progress,
            )
        except OcfWarningsNotAccepted as error:
            raise CommandError(
                f"{error.message}\nRerun with --accept-warnings to import it with these "
                "warnings, which are then kept on the import operation's history."
            ) from error
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"Imported {issuer} (id {issuer.pk})."))
        for name, count in ocf_import_counts(issuer).items():
            self.stdout.write(f"  {name}: {count}")
        accepted = ocf_import_warnings_accepted(issuer)
        if accepted:
            self.stdout.write(self.style.WARNING(accepted))

    def _dry_run(self, path: Path, maker: User, progress) -> None:
        report = ocf_dry_run(path=path, by=maker, progress=progress)
        for line in report.lines():
            self.stdout.write(line)
        if report.errors:
            raise CommandError(
                f"the OCF package has {len(report.errors)} error(s): it cannot be imported as "
                "it is (dry run: nothing was written)"
            )
        self.stdout.write(self.style.SUCCESS("Dry run: nothing was written."))
