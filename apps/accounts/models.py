"""Users who sign in by e-mail, and the partner organisations the platform works with.

An e-mail address is stored lower-case so that it identifies one user whatever its casing; the
database refuses any other spelling.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.core.countries import country_choices
from apps.core.history import audited_history
from apps.core.validators import text_without_control_characters, validate_lei


def normalize_email(email: str) -> str:
    """Return the one spelling of ``email`` the product stores."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(
        max_length=200, blank=True, validators=[text_without_control_characters]
    )
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user works in the back office (the admin)."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unselect instead of deleting the account."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    history = audited_history(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="accounts_user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class OrganisationKind(models.TextChoices):
    INTRODUCER = "introducer", "Introducer"
    FUND_MANAGER = "fund_manager", "Fund manager"
    BANK = "bank", "Bank"
    PLACEMENT_AGENT = "placement_agent", "Placement agent"
    OTHER = "other", "Other"


class Organisation(models.Model):
    """A partner: an introducer, fund manager, bank or placement agent."""

    Kind = OrganisationKind

    name = models.CharField(
        max_length=200, unique=True, validators=[text_without_control_characters]
    )
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    country = models.CharField(max_length=2, choices=country_choices)
    lei = models.CharField(
        "LEI",
        max_length=20,
        blank=True,
        validators=[validate_lei],
        help_text="Legal Entity Identifier (ISO 17442), where the organisation has one.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["lei"], condition=~models.Q(lei=""), name="accounts_organisation_lei_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values),
                name="accounts_organisation_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
