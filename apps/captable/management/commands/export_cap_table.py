from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.captable.exports import FORMATS, cap_table_export
from apps.captable.models import Issuer
from apps.captable.selectors import cap_table, convertibles_round


def issuer_from_argument(value: str) -> Issuer:
    """Find an issuer by id or by its exact name."""
    issuer = Issuer.objects.filter(name=value).first()
    if issuer is None and value.isdigit():
        issuer = Issuer.objects.filter(pk=int(value)).first()
    if issuer is None:
        raise CommandError(f"no issuer with the id or exact name {value!r}")
    return issuer


def price_from_argument(value: str) -> Decimal:
    """Read a price per share written as a decimal number."""
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"--convertibles-at: {value!r} is not a decimal number") from None
    if not price.is_finite() or price <= 0:
        raise CommandError(f"--convertibles-at: the price per share is positive, not {value}")
    return price


class Command(BaseCommand):
    help = (
        "Write an issuer's cap table on a date as CSV, XLSX or JSON; with --convertibles-at, "
        "every convertible outstanding is counted fully diluted as converted at that price."
    )

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="The issuer's id or exact name.")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument(
            "--convertibles-at",
            metavar="PRICE",
            help="Price per share, in the issuer's currency, at which the convertibles convert.",
        )
        parser.add_argument("--output", help="File to write (standard output by default).")

    def handle(
        self,
        *args,
        issuer: str,
        as_of: date | None,
        convertibles_at: str | None,
        output: str | None,
        **options,
    ):
        format = options["format"]
        found = issuer_from_argument(issuer)
        price = None if convertibles_at is None else price_from_argument(convertibles_at)
        try:
            at = None if price is None else convertibles_round(found, price=price, as_of=as_of)
            table = cap_table(found, as_of=as_of, convertibles_at=at)
        except ValueError as error:  # a currency mismatch among them
            raise CommandError(f"--convertibles-at: {error}") from error
        content = cap_table_export(table, fmt=format, convertibles_at=price)
        if output:
            Path(output).write_bytes(content)
        elif format == "xlsx":
            raise CommandError("an XLSX file is binary: pass --output FILE")
        else:
            self.stdout.write(content.decode(), ending="")
