from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.demo import demo_seeders


class Command(BaseCommand):
    help = "Create the demo data and logins (idempotent). Refused in production unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG=false (never against real data).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with published passwords and refuses to run with "
                "DJANGO_DEBUG=false; pass --force if this really is a demo environment."
            )
        for seeder in demo_seeders():
            # Each use case a seeder calls is its own transaction and every seeder skips what
            # exists, so a rerun completes a seeding that stopped half-way.
            lines = seeder()
            for line in lines:
                self.stdout.write(line)
