from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.models import Organisation, User
from apps.accounts.services import organisation_create, organisation_update, user_create


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "is_staff")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "role_names", "last_login"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identity", {"fields": ("full_name",)}),
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
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_names(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def save_model(self, request, obj: User, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
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


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "country", "lei", "is_active", "updated_at"]
    list_filter = ["kind", "is_active", "country"]
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
            name=obj.name, kind=obj.kind, country=obj.country, lei=obj.lei, by=request.user
        )
        obj.pk = created.pk
        obj._state.adding = False
