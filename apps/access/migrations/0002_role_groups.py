"""Create the viewer, operator and admin groups with the permissions apps/access/roles.py gives them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_role_groups(apps, schema_editor):
    from apps.access.roles import role_groups_sync

    # Permissions are normally created after the last migration; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    role_groups_sync(apps)


def delete_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator", "admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0004_alter_syncrun_options"),
        ("servers", "0004_alter_provideraccount_options_alter_server_options"),
        ("projects", "0002_alter_githubaccount_options"),
        ("monitoring", "0004_alter_healthcheck_options_alter_incident_options"),
        ("provisioning", "0002_alter_provisioningrun_options"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
