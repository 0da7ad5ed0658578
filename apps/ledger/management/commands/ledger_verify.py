from django.core.management.base import BaseCommand, CommandError

from apps.ledger.verification import ledger_verify_report


class Command(BaseCommand):
    help = "Re-check every invariant of the books; exit non-zero on any breach."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-breaches", type=int, default=20, help="Breaches to print per check."
        )

    def handle(self, *args, max_breaches: int, **options):
        def progress(stage: str, done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"  {stage}: {done}/{total}")

        report = ledger_verify_report(progress=progress)
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
