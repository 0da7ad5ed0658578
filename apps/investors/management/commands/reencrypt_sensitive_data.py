from django.core.management.base import BaseCommand

from apps.investors.services import sensitive_data_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the newest key of DJANGO_FIELD_ENCRYPTION_KEYS, "
        "after which an older key can be removed."
    )

    def handle(self, *args, **options):
        def progress(model: str, written: int) -> None:
            self.stdout.write(f"  {model}: {written} rows so far")

        written = sensitive_data_reencrypt(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {written} rows under the newest key."))
