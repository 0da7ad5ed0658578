"""Users who sign in by e-mail, and the partner organisations the platform works with.

An e-mail address is stored lower-case so that it identifies one user whatever its casing; the
database refuses any other spelling.
"""

from typing import ClassVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
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


class UserKind(models.TextChoices):
    """Who a user is: a person signs in; a partner's service user and the system user never do."""

    PERSON = "person", "Person"
    PARTNER = "partner", "Partner service user"
    SYSTEM = "system", "System"


# The user Celery tasks and management commands act as, created by a data migration.
SYSTEM_USER_EMAIL = "system@roundtable.invalid"


class User(AbstractBaseUser, PermissionsMixin):
    Kind = UserKind

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
    kind = models.CharField(max_length=8, choices=UserKind.choices, default=UserKind.PERSON)
    organisation = models.OneToOneField(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_user",
        help_text="The partner a service user acts for.",
    )

    objects = UserManager()
    history = audited_history(excluded_fields=["password", "last_login"])
    # Set before a save, read by django-simple-history to stamp the history row it writes.
    _history_user: "User | None"
    _change_reason: str

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        # No role holds it: only the system user (the server's command line) grants it.
        permissions = [("grant_superuser", "Can grant or withdraw superuser status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="accounts_user_email_lowercase"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=UserKind.values), name="accounts_user_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind=UserKind.PARTNER, organisation__isnull=False)
                | (~models.Q(kind=UserKind.PARTNER) & models.Q(organisation__isnull=True)),
                name="accounts_user_partner_has_organisation",
            ),
            # A service user has no password, no back office and no superuser status.
            models.CheckConstraint(
                condition=models.Q(kind=UserKind.PERSON)
                | models.Q(
                    password__startswith=UNUSABLE_PASSWORD_PREFIX,
                    is_staff=False,
                    is_superuser=False,
                ),
                name="accounts_user_service_cannot_sign_in",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def is_person(self) -> bool:
        return self.kind == UserKind.PERSON

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


class PartnerScope(models.TextChoices):
    """What a partner's service user may do with the investors the partner introduced."""

    READ = "read", "Read"
    WRITE = "write", "Read and write"


class Organisation(models.Model):
    """A partner: an introducer, fund manager, bank or placement agent.

    It acts through its own service user, created with it, limited to the investors it
    introduced and to its scope.
    """

    Kind = OrganisationKind
    Scope = PartnerScope

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
    scope = models.CharField(
        max_length=5,
        choices=PartnerScope.choices,
        default=PartnerScope.READ,
        help_text="What the partner may do with the investors it introduced.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history()
    # Set before a save, read by django-simple-history to stamp the history row it writes.
    _history_user: User | None

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
            models.CheckConstraint(
                condition=models.Q(scope__in=PartnerScope.values),
                name="accounts_organisation_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
