"""Create the staff roles as groups holding the model permissions their policy grants."""

from django.db import migrations

from apps.accounts.roles import Role, create_all_permissions, role_groups_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; create them now so the groups get them.
    app_configs = list(apps.get_app_configs())
    for app_config in app_configs:
        app_config.models_module = True
    create_all_permissions(app_configs=app_configs, apps=apps, using=schema_editor.connection.alias)
    for app_config in app_configs:
        app_config.models_module = None
    role_groups_sync(apps=apps)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=Role.values).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
