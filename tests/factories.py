"""Factories for the data every domain's tests need."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from apps.accounts.models import Organisation, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(user: User, create: bool, extracted, **kwargs) -> None:
        if create:
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    @factory.post_generation
    def roles(user: User, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            user.groups.set(Group.objects.filter(name__in=[role.value for role in extracted]))


class StaffFactory(UserFactory):
    """A back-office user with an authenticator app; its secret is ``user.totp_secret``."""

    is_staff = True

    @factory.post_generation
    def totp_secret(user: User, create: bool, extracted, **kwargs) -> None:
        user.totp_secret = extracted or generate_totp_secret()
        if create:
            TOTP.activate(user, user.totp_secret)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner {n} SA")
    kind = Organisation.Kind.INTRODUCER
    country = "FR"

    @factory.post_generation
    def service_user(organisation: Organisation, create: bool, extracted, **kwargs) -> None:
        """The account the partner acts through, as ``organisation_create`` makes it."""
        if create:
            User.objects.create(
                email=f"partner-{organisation.pk}@service.roundtable.invalid",
                kind=User.Kind.PARTNER,
                organisation=organisation,
                password=make_password(None),
            )
