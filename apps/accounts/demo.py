"""Demo staff logins, one per role, each with a published password and TOTP secret."""

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt, encrypt
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_user_create, system_user
from apps.core.demo import demo_seeder

DEMO_PASSWORD = "co-invest-2026"  # noqa: S105 - published on purpose, demo data only
DEMO_DOMAIN = "demo.roundtable.example"

# Base32 TOTP secrets, fixed so that a newcomer can add them to an authenticator app once.
DEMO_STAFF: dict[Role, tuple[str, str]] = {
    Role.OPERATIONS: ("Olivia Operations", "JBSWY3DPEHPK3PXPOPSAAAAAAAAAAAAA"),
    Role.COMPLIANCE: ("Colin Compliance", "JBSWY3DPEHPK3PXPCOMPAAAAAAAAAAAA"),
    Role.FINANCE: ("Fatima Finance", "JBSWY3DPEHPK3PXPFINAAAAAAAAAAAAA"),
    Role.AUDITOR: ("Aditya Auditor", "JBSWY3DPEHPK3PXPAUDTAAAAAAAAAAAA"),
    Role.ADMINISTRATOR: ("Ada Administrator", "JBSWY3DPEHPK3PXPADMNAAAAAAAAAAAA"),
}


def demo_staff_email(role: Role) -> str:
    return f"{role.value}@{DEMO_DOMAIN}"


def current_totp_code(secret: str) -> str:
    """Return the code an authenticator app shows for ``secret`` right now."""
    return format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))


def _ensure_demo_staff(role: Role, full_name: str, secret: str) -> User:
    email = demo_staff_email(role)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = staff_user_create(
            email=email,
            full_name=full_name,
            roles=(role,),
            password=DEMO_PASSWORD,
            by=system_user(),
        )
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        TOTP.activate(user, secret)
    elif decrypt(totp.data["secret"]) != secret:
        totp.data = {**totp.data, "secret": encrypt(secret)}
        totp.save(update_fields=["data"])
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    return user


@demo_seeder
def seed_demo_staff() -> list[str]:
    lines = [
        "Demo staff logins (password for all: " + DEMO_PASSWORD + ")",
        "Add the TOTP secret to an authenticator app, or type the code shown (valid about a",
        "minute; run `.venv/bin/python manage.py seed_demo` again for fresh ones).",
        "Recovery codes are listed at /accounts/2fa/recovery-codes/ once signed in.",
        "",
        f"  {'role':<14} {'e-mail':<40} {'TOTP secret':<34} code now",
    ]
    for role, (full_name, secret) in DEMO_STAFF.items():
        user = _ensure_demo_staff(role, full_name, secret)
        lines.append(
            f"  {role.value:<14} {user.email:<40} {secret:<34} {current_totp_code(secret)}"
        )
    return lines
