from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.captable.exports import FORMATS, cap_table_export
from apps.captable.models import Issuer
from apps.captable.selectors import cap_table


def issuer_from_argument(value: str) -> Issuer:
    """Find an issuer by id or by its exact name."""
    issuer = Issuer.objects.filter(name=value).first()
    if issuer is None and value.isdigit():
        issuer = Issuer.objects.filter(pk=int(value)).first()
    if issuer is None:
        raise CommandError(f"no issuer with the id or exact name {value!r}")
    return issuer


class Command(BaseCommand):
    help = "Write an issuer's cap table on a date as CSV, XLSX or JSON."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="The issuer's id or exact name.")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--output", help="File to write (standard output by default).")

    def handle(self, *args, issuer: str, as_of: date | None, output: str | None, **options):
        format = options["format"]
        table = cap_table(issuer_from_argument(issuer), as_of=as_of)
        content = cap_table_export(table, fmt=format)
        if output:
            Path(output).write_bytes(content)
        elif format == "xlsx":
            raise CommandError("an XLSX file is binary: pass --output FILE")
        else:
            self.stdout.write(content.decode(), ending="")
