"""Create the system user, and a service user for every partner registered before they had one."""

from django.contrib.auth.hashers import make_password
from django.db import migrations

SYSTEM_USER_EMAIL = "system@roundtable.invalid"


def create_users(apps, schema_editor) -> None:
    User = apps.get_model("accounts", "User")
    Organisation = apps.get_model("accounts", "Organisation")
    User.objects.get_or_create(
        email=SYSTEM_USER_EMAIL,
        defaults={
            "kind": "system",
            "full_name": "Roundtable system",
            "password": make_password(None),
        },
    )
    for organisation in Organisation.objects.filter(service_user__isnull=True):
        User.objects.create(
            email=f"partner-{organisation.pk}@service.roundtable.invalid",
            full_name=f"{organisation.name} (service)",
            kind="partner",
            organisation=organisation,
            password=make_password(None),
        )


def delete_users(apps, schema_editor) -> None:
    User = apps.get_model("accounts", "User")
    User.objects.filter(kind__in=["system", "partner"]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_service_users")]

    operations = [migrations.RunPython(create_users, delete_users)]
