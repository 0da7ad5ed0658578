"""Every admin URL and every admin action, by every staff role, with GET and with POST.

The matrix is generated from the URL resolver and the admin registry (see
``tests/permission_matrix.py``); each case acts as its role (signed in once, through allauth and
an authenticator code), sends its request inside a transaction that is rolled back, and compares
the database with the world as it was built.
A case fails when the request answers an error, when it changes rows the role may not change
(reverting a history version is allowed to nobody, a view-only role changes nothing), when it
grants someone a permission the acting role does not hold, or when the page shows an investor's
identifiers in clear outside the logged reveal page.
"""

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import override_settings

from apps.accounts.models import Organisation
from apps.accounts.roles import Role
from tests.permission_matrix import (
    ACCEPTED_STATUSES,
    UNEXERCISED_ROUTES,
    AdminAction,
    RouteVariant,
    UnfillableRoute,
    World,
    add_form_blanks,
    admin_actions,
    admin_routes,
    admin_site_route_keys,
    database_snapshot,
    leaked_secrets,
    masked,
    may_run_action,
    may_write_through_route,
    payload_altered,
    reference_form,
    request_outcome,
    route_url,
    route_variants,
    why_not_action,
    why_not_through_route,
    world_build,
)
from tests.rollback import rolled_back

# Each test also runs in its own rolled-back transaction, inside the world's.
pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST")
ROUTES = admin_routes()
VARIANTS = [variant for route in ROUTES for variant in route_variants(route)]
ACTIONS = admin_actions()


@dataclass(frozen=True)
class UrlCase:
    role: Role
    method: str
    variant: RouteVariant

    def __str__(self) -> str:
        return f"{self.role.value}-{self.method}-{self.variant.label}"


@dataclass(frozen=True)
class ActionCase:
    role: Role
    action: AdminAction

    def __str__(self) -> str:
        return f"{self.role.value}-POST-{self.action.changelist}?action={self.action.name}"


URL_CASES = [UrlCase(role, method, v) for v in VARIANTS for role in Role for method in METHODS]
ACTION_CASES = [ActionCase(role, action) for action in ACTIONS for role in Role]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo world with one signed-in user per role, built once and rolled back at the end."""
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with django_db_blocker.unblock(), fast_hashing, rolled_back():
        yield world_build()


def _fail(role: Role, method: str, url: str, status: int, problems: list[str]) -> None:
    pytest.fail(f"{role.value} {method} {url} → {status}: " + "; ".join(problems), pytrace=False)


def _post_payload(world: World, case: UrlCase, url: str) -> dict[str, list[str]]:
    """The page's form as a superuser sees it, for the role to submit, with what matters
    altered; an add form is filled in as for a new row."""
    route = case.variant.route
    blanks = None
    if route.view == "add_view" and route.model is not None:
        blanks = add_form_blanks(world, route.model, case.role)
    return payload_altered(reference_form(world, url), tag=case.role.value, blanks=blanks)


@pytest.mark.parametrize("case", URL_CASES, ids=str)
def test_admin_url_writes_only_what_the_role_may(world: World, case: UrlCase):
    route, user = case.variant.route, world.users[case.role]
    try:
        url = route_url(case.variant, world, case.role)
    except UnfillableRoute as error:
        pytest.fail(f"{case}: cannot be filled from the world: {error}", pytrace=False)
    data = _post_payload(world, case, url) if case.method == "POST" else None

    outcome = request_outcome(world, case.role.value, case.method, url, data)

    problems = []
    if outcome.status not in ACCEPTED_STATUSES:
        problems.append(f"answered {outcome.status} {outcome.error}".rstrip())
    if outcome.broken:
        problems.append("left the transaction needing a rollback: what it wrote is unknown")
    if outcome.changes and not may_write_through_route(user, route, case.method):
        why = why_not_through_route(user, route, case.method)
        problems.append(f"changed {', '.join(outcome.changes)} ({why})")
    problems += outcome.granted
    reveals = route.view == "reveal_view" and user.has_perm("investors.reveal_sensitive")
    if not reveals and (shown := leaked_secrets(world, outcome.body)):
        problems.append(f"shows in clear {', '.join(masked(value) for value in shown)}")
    if problems:
        _fail(case.role, case.method, url, outcome.status, problems)


@pytest.mark.parametrize("case", ACTION_CASES, ids=str)
def test_admin_action_writes_only_what_the_role_may(world: World, case: ActionCase):
    action, user = case.action, world.users[case.role]
    selected = action.model._default_manager.order_by("pk").values_list("pk", flat=True)[:100]
    data = {"action": action.name, ACTION_CHECKBOX_NAME: [str(pk) for pk in selected], "index": "0"}
    if action.name == "delete_selected":
        data["post"] = "yes"  # the confirmation page's answer

    outcome = request_outcome(world, case.role.value, "POST", action.changelist, data)

    problems = []
    if outcome.status not in ACCEPTED_STATUSES:
        problems.append(f"answered {outcome.status} {outcome.error}".rstrip())
    if outcome.broken:
        problems.append("left the transaction needing a rollback: what it wrote is unknown")
    if outcome.changes and not may_run_action(user, action):
        why = why_not_action(user, action)
        problems.append(f"changed {', '.join(outcome.changes)} ({why})")
    problems += outcome.granted
    if shown := leaked_secrets(world, outcome.body):
        problems.append(f"shows in clear {', '.join(masked(value) for value in shown)}")
    if problems:
        _fail(case.role, f"POST action={action.name}", action.changelist, outcome.status, problems)


# --- the matrix itself: complete, filled, and able to see a write -----------------------------


def test_the_resolver_and_the_admin_site_agree_on_the_admin_routes():
    assert {route.key for route in ROUTES} == admin_site_route_keys()


def test_every_admin_route_is_exercised_or_excused():
    found = {route.key for route in ROUTES}
    exercised = {case.variant.route.key for case in URL_CASES}
    excused = set(UNEXERCISED_ROUTES)

    assert excused <= found, f"excused routes that no longer exist: {excused - found}"
    assert not exercised & excused, f"excused routes exercised anyway: {exercised & excused}"
    assert exercised | excused == found, f"routes nobody requests: {found - exercised - excused}"
    for variant in VARIANTS:
        asked = {(c.role, c.method) for c in URL_CASES if c.variant == variant}
        assert asked == {(role, method) for role in Role for method in METHODS}, variant.label


def test_every_admin_action_is_exercised():
    registered = {
        (model, name)
        for model, model_admin in admin.site._registry.items()
        for _, name, _ in model_admin._get_base_actions()
    }
    exercised = {(case.action.model, case.action.name) for case in ACTION_CASES}

    assert exercised == registered


def test_every_admin_model_has_a_row_in_the_world(world: World):
    empty = [
        model._meta.label for model in admin.site._registry if not model._default_manager.exists()
    ]

    assert not empty


def test_every_admin_route_is_filled_from_the_world(world: World):
    unfilled = []
    for variant in VARIANTS:
        for role in Role:
            try:
                route_url(variant, world, role)
            except UnfillableRoute as error:
                unfilled.append(f"{variant.label}: {error}")

    assert not unfilled, "\n".join(sorted(set(unfilled)))


def test_the_matrix_sees_a_permitted_write_and_rolls_it_back(world: World):
    organisation = Organisation.objects.get()
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"
    data = payload_altered(reference_form(world, url), tag="operations")

    outcome = request_outcome(world, Role.OPERATIONS.value, "POST", url, data)

    assert outcome.status == 302
    assert "accounts.Organisation (rows rewritten)" in outcome.changes
    assert database_snapshot() == world.baseline


def test_every_role_reaches_the_admin(world: World):
    for role in Role:
        assert request_outcome(world, role.value, "GET", "/admin/").status == 200, role
