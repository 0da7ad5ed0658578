from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User, normalize_email
from apps.accounts.services import system_user, user_superuser_set
from apps.core.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Grant or withdraw superuser status. The admin never changes it: only someone with a "
        "shell on the server can, and the user's history records the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--grant", action="store_true")
        action.add_argument("--withdraw", action="store_true")
        parser.add_argument("--reason", required=True, help="Why; kept in the user's history.")

    def handle(self, *args, email: str, grant: bool, withdraw: bool, reason: str, **options):
        user = User.objects.filter(email=normalize_email(email)).first()
        if user is None:
            raise CommandError(f"no user has the e-mail address {email}")
        try:
            user = user_superuser_set(user=user, grant=grant, reason=reason, by=system_user())
        except DomainError as error:
            raise CommandError(error.message) from error
        state = "is a superuser" if user.is_superuser else "is not a superuser"
        self.stdout.write(self.style.SUCCESS(f"{user.email} {state}."))
