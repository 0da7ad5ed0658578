"""Import a consolidated sanctions list from its CSV file, in the name of the person importing.

The file is read as bytes and handed whole to :func:`~apps.compliance.services.
sanctions_list_import`: a list that cannot be read (not UTF-8, a NUL character, a field too long,
a bad line) is refused with every error, line by line, and nothing is imported.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User, normalize_email
from apps.compliance.sanctions import SanctionsListError
from apps.compliance.services import sanctions_list_import


class Command(BaseCommand):
    help = "Import a sanctions list (a UTF-8 CSV file) and screen every investor again after."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="The list's CSV file.")
        parser.add_argument("--name", required=True, help="The list's name: 'EU consolidated'.")
        parser.add_argument(
            "--by", required=True, help="The e-mail address of the person importing it."
        )
        parser.add_argument(
            "--source-name", default="", help="Where the list comes from; the file's name if empty."
        )

    def handle(self, *args, path: Path, name: str, by: str, source_name: str, **options) -> None:
        user = User.objects.filter(email=normalize_email(by)).first()
        if user is None:
            raise CommandError(f"No user has the e-mail address {by}.")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror}.") from error
        try:
            imported = sanctions_list_import(
                name=name, csv_text=data, by=user, source_name=source_name or path.name
            )
        except SanctionsListError as error:
            raise CommandError(
                "\n".join([f"{path} is refused, nothing was imported:", *error.errors])
            ) from error
        except ValidationError as error:
            raise CommandError(_named(error)) from error
        self.stdout.write(
            f"Imported {imported.entry_count} entries of “{imported.name}”; every investor will "
            "be screened against them."
        )


def _named(error: ValidationError) -> str:
    """A service's refusal in one line, each message after the argument it names."""
    if not hasattr(error, "error_dict"):
        return "; ".join(error.messages)
    return "; ".join(
        f"{field.replace('_', ' ')}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    )
