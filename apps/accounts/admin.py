from typing import ClassVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from apps.accounts.models import Organisation, User
from apps.accounts.roles import Role
from apps.accounts.services import (
    USER_UPDATABLE_FIELDS,
    organisation_create,
    organisation_update,
    user_create,
    user_roles_set,
    user_update,
)
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin, UseCaseFormMixin


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "is_staff")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "password", "full_name", "is_active", "is_staff", "groups"]
        labels = {"groups": "Roles"}


@admin.register(User)
class UserAdmin(UseCaseFormMixin, HistoryAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "kind",
        "organisation",
        "is_staff",
        "is_active",
        "role_names",
        "last_login",
    ]
    list_filter = ["kind", "is_staff", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined", "is_superuser", "kind", "organisation"]
    list_per_page = 50

    def add_view(self, request, form_url="", extra_context=None):
        # Django's user admin wraps the add form in a transaction; user_create is the one.
        return self._add_view(request, form_url, extra_context)

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identity", {"fields": ("full_name", "kind", "organisation")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "is_staff",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("organisation").prefetch_related("groups")
        )

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """A partner's service user and the system user change with their owner, never here."""
        if obj is not None and obj.kind != User.Kind.PERSON:
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description="Roles")
    def role_names(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        """Superuser status is granted on the server only; nobody changes their own roles."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            readonly.append("groups")
        return readonly

    def save_model(self, request, obj: User, form: forms.ModelForm, change: bool) -> None:
        if change:
            user_update(
                user=User.objects.get(pk=obj.pk),
                data={
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in USER_UPDATABLE_FIELDS
                },
                by=request.user,
            )
            return
        usable = form.cleaned_data.get("usable_password") != "false"
        password = form.cleaned_data.get("password1") if usable else None
        created = user_create(
            email=obj.email,
            full_name=obj.full_name,
            password=password or None,
            is_staff=obj.is_staff,
            by=request.user,
        )
        # The admin goes on with the saved row (its redirect and log entry need its pk).
        obj.pk = created.pk
        obj.password = created.password
        obj._state.adding = False

    def save_related(self, request, form: forms.ModelForm, formsets, change: bool) -> None:
        """Roles change through their service, which records who changed them."""
        if "groups" in form.changed_data:
            user_roles_set(
                user=form.instance,
                roles=[Role(group.name) for group in form.cleaned_data["groups"]],
                by=request.user,
            )


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Roles and their permissions follow the policy in ``apps/accounts/roles.py`` alone."""

    list_display = ["name", "permission_count"]
    fields: ClassVar[tuple[str, ...]] = ("name", "permission_list")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(permission_total=Count("permissions"))

    @admin.display(description="Permissions", ordering="permission_total")
    def permission_count(self, group: Group) -> int:
        return group.permission_total  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="Permissions (set by the roles policy, not editable here)")
    def permission_list(self, group: Group) -> str:
        names = group.permissions.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        )
        return format_html_join(
            mark_safe("<br>"), "{}", ((permission.name,) for permission in names)
        )


@admin.register(Organisation)
class OrganisationAdmin(UseCaseFormMixin, HistoryAdmin):
    list_display = ["name", "kind", "country", "lei", "scope", "is_active", "updated_at"]
    list_filter = ["kind", "scope", "is_active", "country"]
    search_fields = ["name", "lei"]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50

    def save_model(self, request, obj: Organisation, form: forms.ModelForm, change: bool) -> None:
        if change:
            organisation_update(
                organisation=Organisation.objects.get(pk=obj.pk),
                data={field: form.cleaned_data[field] for field in form.changed_data},
                by=request.user,
            )
            return
        created = organisation_create(
            name=obj.name,
            kind=obj.kind,
            country=obj.country,
            lei=obj.lei,
            scope=obj.scope,
            by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False
