from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """The Django admin, served by the site that demands a second factor from staff."""

    default_site = "apps.accounts.admin_site.StaffAdminSite"
