"""Re-check the books from the command line, and prove a digest kept outside them."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.ledger.verification import Digest, ledger_digest_read, ledger_verify_report


class Command(BaseCommand):
    help = (
        "Re-check every invariant of the books; exit non-zero on any breach. With --digest FILE "
        "(printed earlier by ledger_digest), also prove the books still hold each head it "
        "names, exactly: the operation of that sequence with that hash and execution time, the "
        "seal of that operation sequence and issuer with that digest. The hash chains, checked "
        "from their start, then prove that everything after a head extends it; a head missing "
        "or different is a breach."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-breaches", type=int, default=20, help="Breaches to print per check."
        )
        parser.add_argument(
            "--digest",
            type=Path,
            metavar="FILE",
            help="A digest printed by ledger_digest, whose heads the books must still hold.",
        )

    def handle(self, *args: Any, max_breaches: int, digest: Path | None, **options: Any) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"  {stage}: {done}/{total}")

        pinned = self._read(digest) if digest is not None else None
        if pinned is not None:
            self.stdout.write(f"Proving the heads of the digest taken at {pinned.taken_at}.")
        report = ledger_verify_report(progress=progress, digest=pinned)
        for check in report.checks:
            status = self.style.SUCCESS("ok") if check.passed else self.style.ERROR("BREACHED")
            self.stdout.write(f"{status:<10} {check.name} ({check.checked} checked)")
            for breach in check.breaches[:max_breaches]:
                self.stdout.write(f"           - {breach}")
            if len(check.breaches) > max_breaches:
                self.stdout.write(f"           … and {len(check.breaches) - max_breaches} more")
        if not report.passed:
            breaches = sum(len(check.breaches) for check in report.checks)
            raise CommandError(f"the books fail verification: {breaches} breach(es)")
        self.stdout.write(self.style.SUCCESS("The books verify."))

    def _read(self, path: Path) -> Digest:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read the digest {path}: {error}") from error
        try:
            return ledger_digest_read(text)
        except ValidationError as error:
            raise CommandError(
                f"{path} is not a ledger digest: {' '.join(error.messages)}"
            ) from error
