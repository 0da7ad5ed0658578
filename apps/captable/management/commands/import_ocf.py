"""``manage.py import_ocf PATH --by EMAIL --approved-by EMAIL``: an OCF package as a new issuer.

A refused package is printed as the command's error, every problem on its line, and the command
exits with status 1 having written nothing; no refusal ends in a traceback. How much of a
package is read is bounded by ``OCF_IMPORT_MAX_FILE_BYTES``, ``OCF_IMPORT_MAX_UNCOMPRESSED_BYTES``
and ``OCF_IMPORT_MAX_MEMBERS``.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.captable.ocf.importer import ocf_import, ocf_import_counts
from apps.core.exceptions import DomainError


def user_from_email(email: str, option: str) -> User:
    """Find the user whose e-mail address is ``email``."""
    try:
        return User.objects.get_by_natural_key(email)
    except User.DoesNotExist:
        raise CommandError(f"{option}: no user with the e-mail address {email!r}") from None


class Command(BaseCommand):
    help = (
        "Import an Open Cap Format package (a folder with its manifest, or an .ocf.zip) as a new "
        "issuer; nothing is written unless the whole package is valid and supported, and within "
        "the OCF_IMPORT_MAX_* size limits."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The package's folder or .ocf.zip file.")
        parser.add_argument("--by", required=True, help="E-mail of who makes the import.")
        parser.add_argument(
            "--approved-by", required=True, help="E-mail of who approves it (another person)."
        )

    def handle(self, *args, path: Path, by: str, approved_by: str, **options):
        maker = user_from_email(by, "--by")
        checker = user_from_email(approved_by, "--approved-by")

        def progress(stage: str, done: int, total: int) -> None:
            self.stdout.write(f"  {stage}: {done}" + (f" of {total}" if total else ""))

        try:
            issuer = ocf_import(path=path, by=maker, approved_by=checker, progress=progress)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"Imported {issuer} (id {issuer.pk})."))
        for name, count in ocf_import_counts(issuer).items():
            self.stdout.write(f"  {name}: {count}")
