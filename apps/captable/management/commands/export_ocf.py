from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.captable.management.commands.export_cap_table import issuer_from_argument
from apps.captable.ocf.exporter import ocf_export


class Command(BaseCommand):
    help = "Write an issuer's cap table as an Open Cap Format package (manifest and files)."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="The issuer's id or exact name.")
        parser.add_argument("outdir", type=Path, help="The folder to write the package in.")

    def handle(self, *args, issuer: str, outdir: Path, **options):
        found = issuer_from_argument(issuer)
        try:
            written = ocf_export(issuer=found, outdir=outdir)
        except OSError as error:
            raise CommandError(f"cannot write the package in {outdir}: {error}") from error
        for path in written:
            self.stdout.write(str(path))
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} OCF files in {outdir}."))
