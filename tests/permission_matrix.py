"""The back office's permission matrix: every admin URL and action, by every staff role.

The routes come from the URL resolver and the actions from the admin registry, so a page or an
action added tomorrow is in the matrix without anyone listing it. Each request runs inside a
transaction rolled back afterwards, against one world built once: the demo data, completed so
that every admin model has a row, and one signed-in user per role. The rule kept: a request
changes the database only where the acting role holds the permission the view or the action
requires; nobody reverts through a history page; a view-only role changes nothing; nobody
grants a permission they do not hold; and no page shows an investor's identifiers in clear,
but the logged reveal page to those allowed to reveal.
"""

import hashlib
import inspect
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory, TestCase
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from apps.accounts.demo import current_totp_code, demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import PRODUCT_APPS, Role
from apps.captable.demo import COMPANY
from apps.captable.models import Issuer, OcfImport
from apps.captable.services import (
    issuer_create,
    ocf_import_check,
    ocf_import_confirm,
    share_class_create,
    vesting_terms_create,
)
from apps.core.money import Money
from apps.deals.demo import OPEN_DEAL, SPV_DEAL, TERMS, VENTURE_DEAL
from apps.deals.models import Deal, DistributionKind, Proposal, ProposalAction
from apps.deals.services import (
    deal_create,
    deal_operation_propose,
    deal_proposal_execute,
    subscription_create,
)
from apps.deals.services.charges import management_fee_charge
from apps.deals.services.distributions import distribution_record
from apps.deals.services.transfers import secondary_transfer
from apps.investors.models import BankAccount, Investor
from apps.investors.services import (
    BANK_SENSITIVE_FIELDS,
    SENSITIVE_FIELDS,
    bank_account_add,
    investor_update,
    sensitive_value_reveal,
)
from tests.conftest import sign_in
from tests.factories import StaffFactory
from tests.rollback import rolled_back

ADMIN_PREFIX = "admin/"
# Admin routes deliberately left out of the matrix, each with the reason. Keep it short: every
# route found and not listed here is requested by every role, with GET and with POST.
UNEXERCISED_ROUTES: dict[str, str] = {}
# Tables a request may write whatever the role: the signed-in client's own session (signing
# out, messages that overflow the cookie) is not data anyone is granted access to.
UNWATCHED_MODELS = frozenset({"sessions.Session"})
# Statuses a request may end with; anything else (a 500 above all) is a failure.
ACCEPTED_STATUSES = frozenset({200, 302, 403, 404, 405})
# The views that write for a role holding a model permission, by the action it names.
MODEL_PERMISSION_OF_VIEW = {
    "add_view": "add",
    "change_view": "change",
    "delete_view": "delete",
    "user_change_password": "change",
}
# Views that write for a role holding a named permission, whatever the method.
NAMED_PERMISSION_OF_VIEW = {
    "reveal_view": "investors.reveal_sensitive",
    # An OCF import's steps: its maker uploads and confirms it, another person approves it,
    # either cancels it (the world's import was made by somebody outside the matrix).
    "ocf_upload_view": "captable.add_ocfimport",
    "ocf_confirm_view": "captable.add_ocfimport",
    "ocf_approve_view": "captable.approve_ocfimport",
    "ocf_cancel_view": "captable.cancel_ocfimport",
    # A portfolio investment's write-down and realisation, each through its service.
    "portfolio_write_down_view": "deals.change_portfolioinvestment",
    "portfolio_realise_view": "deals.change_portfolioinvestment",
}
# Views nobody may write through: reverting to a past version is not an edit anyone is granted.
WRITE_FOR_NOBODY = frozenset({"history_form_view"})
ALTERED_PASSWORD = "a-long-unguessable-passphrase-2026"
ALTERED_TEXT_FIELDS = frozenset(
    {"name", "full_name", "legal_name", "description", "purpose", "holder_name", "email"}
)
ESCALATING_CHECKBOXES = frozenset({"is_superuser", "is_staff", "is_active"})
ESCALATING_SELECTS = frozenset({"groups", "permissions", "user_permissions"})


class UnfillableRoute(Exception):
    """A route parameter the matrix does not know how to fill from the world."""


# --- routes: every pattern under admin/, as the resolver serves it -----------------------------


@dataclass(frozen=True)
class AdminRoute:
    """One URL pattern of the admin: where it is, whose view answers it, what it takes."""

    key: str  # the patterns joined as written, e.g. "admin/accounts/user/^([^/]+)/history/..."
    template: str  # "/admin/accounts/user/<object_id>/history/<version_id>/"
    view: str  # the name of the function behind the admin's wrappers, e.g. "history_form_view"
    params: tuple[str, ...]
    model: type[models.Model] | None  # the registered model whose admin serves it, if any


def _view_name(callback: Callable) -> str:
    view = inspect.unwrap(callback)
    return getattr(view, "view_class", view).__name__


def _positional_names(callback: Callable) -> list[str]:
    """The names the view gives to a regex pattern's unnamed groups, in order."""
    parameters = list(inspect.signature(callback).parameters)
    return parameters[1:]  # after the request


def _regex_template(regex: str, positional: list[str]) -> tuple[str, list[str]]:
    """Turn ``regex`` into a template with ``<name>`` for each group, and the names in order."""
    text = regex.removeprefix("^").removesuffix("$")
    out, names, index = [], [], 0
    remaining = iter(positional)
    while index < len(text):
        char = text[index]
        if char == "(":
            depth, end = 0, index
            while True:
                if text[end] == "[":
                    end = text.index("]", end)
                elif text[end] == "(":
                    depth += 1
                elif text[end] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            group = text[index + 1 : end]
            named = re.match(r"\?P<(\w+)>", group)
            name = named.group(1) if named else next(remaining, None)
            if name is None:
                raise UnfillableRoute(f"{regex}: the view names no parameter for {group}")
            out.append(f"<{name}>")
            names.append(name)
            index = end + 1
        elif char in ".*+?[]{}|\\^$":
            raise UnfillableRoute(f"{regex}: cannot write {char!r} as a URL")
        else:
            out.append(char)
            index += 1
    return "".join(out), names


def _route_template(pattern, callback: Callable) -> tuple[str, list[str]]:
    text = str(pattern)
    if isinstance(pattern, RoutePattern):  # path("<int:pk>/..."), not re_path
        names = re.findall(r"<(?:\w+:)?(\w+)>", text)
        return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", text), names
    return _regex_template(text, _positional_names(callback))


def _walk(patterns, chain: tuple = ()) -> Iterator[tuple[tuple, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, (*chain, pattern.pattern))
        else:
            yield chain, pattern


def _registered_models() -> dict[str, type[models.Model]]:
    return {f"{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}


def _admin_route(chain: tuple, pattern: URLPattern) -> AdminRoute:
    models_by_prefix = _registered_models()
    key = "".join(str(part) for part in (*chain, pattern.pattern))
    template, params, model = "/", [], None
    for part in (*chain, pattern.pattern):
        text, names = _route_template(part, pattern.callback)
        template += text
        params += names
        model = models_by_prefix.get(str(part), model)
    return AdminRoute(key, template, _view_name(pattern.callback), tuple(params), model)


def admin_routes() -> list[AdminRoute]:
    """Every route the resolver serves under ``admin/``, in the resolver's order."""
    return [
        _admin_route(chain, pattern)
        for chain, pattern in _walk(get_resolver().url_patterns)
        if chain and str(chain[0]) == ADMIN_PREFIX
    ]


def admin_site_route_keys() -> set[str]:
    """The keys of every pattern ``admin.site.get_urls()`` yields, walked on their own."""
    return {
        ADMIN_PREFIX + "".join(str(part) for part in (*chain, pattern.pattern))
        for chain, pattern in _walk(admin.site.get_urls())
    }


# --- filling a route's parameters --------------------------------------------------------------

# Parameters that name a row of the route's model, or one of its past versions.
ROW_PARAMETERS = frozenset({"object_id", "pk", "id"})
VERSION_PARAMETERS = frozenset({"version_id"})


def _app_labels() -> list[str]:
    return sorted({model._meta.app_label for model in admin.site._registry})


# Values of the parameters that name no row, read from what the view accepts.
STATIC_PARAMETERS: dict[tuple[str, str], Callable[[], list[str]]] = {
    # The reveal view takes the name of an investor's or a bank account's sensitive field.
    ("reveal_view", "field"): lambda: [*SENSITIVE_FIELDS, *BANK_SENSITIVE_FIELDS],
    # The app index takes the label of an app with a registered model.
    ("app_index", "app_label"): _app_labels,
    # The catch-all answers whatever else is asked under admin/.
    ("catch_all_view", "url"): lambda: ["no-such-page/"],
}
# Parameters of site-wide views that name a row of a model the route does not carry.
SITE_ROW_PARAMETERS = {
    # "View on site": the content type and the id of a row (an investor, the most sensitive).
    ("shortcut", "content_type_id"): lambda world, role: (
        ContentType.objects.get_for_model(Investor).pk
    ),
    ("shortcut", "object_id"): lambda world, role: world.row_of(Investor, role),
}


@dataclass(frozen=True)
class RouteVariant:
    """A route with its static parameters chosen; rows are filled in the world, at run time."""

    route: AdminRoute
    static: tuple[tuple[str, str], ...] = ()
    problem: str = ""

    @property
    def label(self) -> str:
        text = self.route.template
        for name, value in self.static:
            text = text.replace(f"<{name}>", value)
        return text


def route_variants(route: AdminRoute) -> list[RouteVariant]:
    """The route once per value of each static parameter; an unknown parameter is a problem."""
    variants: list[tuple[tuple[str, str], ...]] = [()]
    for name in route.params:
        if name in ROW_PARAMETERS | VERSION_PARAMETERS:
            continue
        if (route.view, name) in SITE_ROW_PARAMETERS:
            continue
        values = STATIC_PARAMETERS.get((route.view, name))
        if values is None:
            return [RouteVariant(route, problem=f"no value known for <{name}> of {route.view}")]
        variants = [(*chosen, (name, value)) for chosen in variants for value in values()]
    return [RouteVariant(route, static) for static in variants]


def route_url(variant: RouteVariant, world: "World", role: Role | None) -> str:
    """The URL of ``variant``, filled from the world's rows for ``role``."""
    if variant.problem:
        raise UnfillableRoute(variant.problem)
    route, values, query = variant.route, dict(variant.static), ""
    for name in route.params:
        if name in values:
            continue
        if (route.view, name) in SITE_ROW_PARAMETERS:
            values[name] = str(SITE_ROW_PARAMETERS[route.view, name](world, role))
        elif name in ROW_PARAMETERS and route.model is not None:
            values[name] = str(world.row_of(route.model, role))
        elif name in VERSION_PARAMETERS and route.model is not None:
            values[name] = str(world.version_of(route.model, world.row_of(route.model, role)))
        else:
            raise UnfillableRoute(f"no row fills <{name}> of {route.template}")
    if route.view == "reveal_view" and values.get("field") in BANK_SENSITIVE_FIELDS:
        # A bank account's field is revealed for one of the investor's accounts, named in the query.
        query = f"?account={world.bank_account_with(values['field'])}"
    url = route.template
    for name, value in values.items():
        url = url.replace(f"<{name}>", value)
    return url + query


# --- actions: every action of every registered model admin -------------------------------------


@dataclass(frozen=True)
class AdminAction:
    model: type[models.Model]
    name: str

    @property
    def model_admin(self) -> admin.ModelAdmin:
        return admin.site._registry[self.model]

    @property
    def function(self) -> Callable:
        return self.model_admin.get_action(self.name)[0]

    @property
    def changelist(self) -> str:
        return f"/admin/{self.model._meta.app_label}/{self.model._meta.model_name}/"


def admin_actions() -> list[AdminAction]:
    """Every action of every model admin, the site's own (delete) included, none filtered out
    by permission: that is what the matrix checks."""
    found = []
    for model, model_admin in admin.site._registry.items():
        names = [name for name, _ in model_admin.admin_site.actions]
        names += [
            action if isinstance(action, str) else action.__name__
            for action in model_admin.actions or ()
        ]
        found += [AdminAction(model, name) for name in dict.fromkeys(names)]
    return found


# --- what a role may change --------------------------------------------------------------------


def is_view_only(user: User) -> bool:
    return all(perm.partition(".")[2].startswith("view_") for perm in user.get_all_permissions())


def _model_perm(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def write_permission_of_route(route: AdminRoute, method: str) -> str | None:
    """The permission a role needs to change rows through ``route``; ``None``: nobody may."""
    if route.view in WRITE_FOR_NOBODY:
        return None
    if route.view in NAMED_PERMISSION_OF_VIEW:
        return NAMED_PERMISSION_OF_VIEW[route.view]
    if method == "POST" and route.view in MODEL_PERMISSION_OF_VIEW and route.model is not None:
        return _model_perm(route.model, MODEL_PERMISSION_OF_VIEW[route.view])
    return None


def may_write_through_route(user: User, route: AdminRoute, method: str) -> bool:
    permission = write_permission_of_route(route, method)
    return permission is not None and not is_view_only(user) and user.has_perm(permission)


def why_not_through_route(user: User, route: AdminRoute, method: str) -> str:
    """Why ``user`` may not change rows through ``route``, for a failure message."""
    permission = write_permission_of_route(route, method)
    if route.view in WRITE_FOR_NOBODY:
        return "nobody may write back a past version"
    if permission is None:
        return "a GET changes nothing" if method == "GET" else f"{route.view} writes for nobody"
    if is_view_only(user):
        return "a view-only role changes nothing"
    return f"lacks {permission}"


def action_permissions(action: AdminAction) -> tuple[str, ...]:
    """What ``action`` declares it needs; the model's change permission when it declares
    nothing."""
    return tuple(getattr(action.function, "allowed_permissions", ())) or ("change",)


def may_run_action(user: User, action: AdminAction) -> bool:
    """Whether ``user`` holds what ``action`` declares, and is not a view-only role."""
    if is_view_only(user):
        return False
    request = RequestFactory().post(action.changelist)
    request.user = user
    for name in action_permissions(action):
        if name in ("view", "add", "change", "delete"):
            allowed = user.has_perm(_model_perm(action.model, name))
        else:
            allowed = getattr(action.model_admin, f"has_{name}_permission")(request)
        if not allowed:
            return False
    return True


def why_not_action(user: User, action: AdminAction) -> str:
    if is_view_only(user):
        return "a view-only role changes nothing"
    return f"lacks the action's {'/'.join(action_permissions(action))} permission"


# --- the database, before and after ------------------------------------------------------------

Snapshot = dict[str, tuple[int, str]]


def watched_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in UNWATCHED_MODELS and not model._meta.proxy
    ]


def database_snapshot() -> Snapshot:
    """Each table's row count and a digest of its rows as stored, by model label.

    Rows are read as the database holds them, without the fields' conversions: quicker, and an
    encrypted value written again under a new nonce counts as written, which it was.
    """
    snapshot = {}
    with connection.cursor() as cursor:
        for model in watched_models():
            table = connection.ops.quote_name(model._meta.db_table)
            pk = connection.ops.quote_name(model._meta.pk.column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")  # noqa: S608 - names, not data
            rows = cursor.fetchall()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            snapshot[model._meta.label] = (len(rows), digest)
    return snapshot


def snapshot_changes(before: Snapshot, after: Snapshot) -> list[str]:
    changes = []
    for label, (count, digest) in after.items():
        old_count, old_digest = before.get(label, (0, ""))
        if count != old_count:
            changes.append(f"{label} ({old_count}→{count} rows)")
        elif digest != old_digest:
            changes.append(f"{label} (rows rewritten)")
    return changes


# The tables that say who holds which permission.
GRANT_MODELS = frozenset(
    {
        "accounts.User",
        "accounts.User_groups",
        "accounts.User_user_permissions",
        "auth.Group_permissions",
        "auth.Permission",
    }
)


def granted_permissions() -> dict[int, frozenset[str]]:
    """What each user holds: ``"*"`` for a superuser, else its permissions, direct or by group."""
    names = {
        pk: f"{app_label}.{codename}"
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    by_group: dict[int, set[str]] = {}
    for group_id, perm_id in Group.permissions.through.objects.values_list(
        "group_id", "permission_id"
    ):
        by_group.setdefault(group_id, set()).add(names[perm_id])
    held: dict[int, set[str]] = {
        pk: ({"*"} if superuser else set())
        for pk, superuser in User.objects.values_list("pk", "is_superuser")
    }
    for user_id, group_id in User.groups.through.objects.values_list("user_id", "group_id"):
        held[user_id] |= by_group.get(group_id, set())
    for user_id, perm_id in User.user_permissions.through.objects.values_list(
        "user_id", "permission_id"
    ):
        held[user_id].add(names[perm_id])
    return {pk: frozenset(perms) for pk, perms in held.items()}


def escalations(
    before: dict[int, frozenset[str]], after: dict[int, frozenset[str]], actor: User
) -> list[str]:
    """What some user gained that ``actor`` does not hold itself, superuser status included."""
    own = before.get(actor.pk, frozenset())
    if "*" in own:
        return []
    gains = {
        user_id: perms - before.get(user_id, frozenset()) - own for user_id, perms in after.items()
    }
    emails = dict(User.objects.filter(pk__in=gains).values_list("pk", "email"))
    found = []
    for user_id, beyond in sorted(gains.items()):
        whom = "itself" if user_id == actor.pk else emails[user_id]
        if "*" in beyond:
            found.append(f"made {whom} superuser")
        elif beyond:
            # The product's own permissions first; those on history models say least.
            shown = sorted(
                beyond,
                key=lambda perm: (
                    "_historical" in perm,
                    perm.partition(".")[0] not in PRODUCT_APPS,
                    perm,
                ),
            )
            found.append(
                f"granted {whom} {len(beyond)} permission(s) it lacks: {', '.join(shown[:3])}"
                + ("…" if len(shown) > 3 else "")
            )
    return found


# --- HTML forms --------------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # input type, "select", "select-multiple" or "textarea"
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)


class _FormsParser(HTMLParser):
    """Collect the fields of each POST form of a page (attributes of ``<form>`` and fields)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict, list[FormField]]] = []
        self._form: list[FormField] | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("method", "get").lower() == "post":
            self._form = []
            self.forms.append((attributes, self._form))
        if self._form is None or ("name" not in attributes and tag != "option"):
            return
        if tag == "input":
            kind = attributes.get("type", "text").lower()
            self._form.append(
                FormField(
                    attributes["name"],
                    kind,
                    attributes.get("value", "on" if kind in ("checkbox", "radio") else ""),
                    checked="checked" in attributes,
                )
            )
        elif tag == "select":
            kind = "select-multiple" if "multiple" in attributes else "select"
            self._select = FormField(attributes["name"], kind)
            self._form.append(self._select)
        elif tag == "option" and self._select is not None and "value" in attributes:
            self._select.options.append(attributes["value"])
            if "selected" in attributes:
                self._select.selected.append(attributes["value"])
        elif tag == "textarea":
            self._textarea = FormField(attributes["name"], "textarea")
            self._form.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline that opens a textarea's content.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None


def page_form(html: str) -> list[FormField]:
    """The fields of the page's main POST form: the largest one but the sign-out button's."""
    parser = _FormsParser()
    parser.feed(html)
    forms = [fields for attributes, fields in parser.forms if attributes.get("id") != "logout-form"]
    return max(forms, key=len, default=[])


def form_payload(fields: list[FormField]) -> dict[str, list[str]]:
    """What a browser would submit for ``fields`` as they stand."""
    payload: dict[str, list[str]] = {}
    for item in fields:
        if item.kind in ("submit", "button", "image", "reset", "file"):
            continue
        if item.kind in ("checkbox", "radio") and not item.checked:
            continue
        if item.kind == "select":
            values = item.selected[:1] or item.options[:1]
        elif item.kind == "select-multiple":
            values = item.selected
        else:
            values = [item.value]
        payload.setdefault(item.name, []).extend(values)
    return payload


def payload_altered(
    fields: list[FormField], *, tag: str, blanks: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """The form submitted with what matters changed: access raised to the highest, every group
    and permission selected, names and e-mails changed, a new password. On an add form
    (``blanks`` given) an empty field takes the value ``blanks`` has for it, an empty choice its
    first option."""
    payload = form_payload(fields)
    for item in fields:
        name, current = item.name, payload.get(item.name, [""])
        short = name.rpartition("-")[2]  # an inline's field, "subscriptions-0-name"
        if short in ESCALATING_CHECKBOXES and item.kind == "checkbox":
            payload[name] = ["on"]
        elif short in ESCALATING_SELECTS and item.kind == "select-multiple":
            payload[name] = list(item.options)
        elif short in ("password1", "password2"):
            payload[name] = [ALTERED_PASSWORD]
        elif short == "usable_password":
            payload[name] = ["true"]
        elif short in ALTERED_TEXT_FIELDS and item.kind in ("text", "email", "textarea"):
            value = current[0] or ((blanks or {}).get(name) or [""])[0]
            payload[name] = [
                f"altered-{tag}@example.com"
                if short == "email"
                else f"{value or 'Matrix'} (altered by {tag})"
            ]
        elif blanks is None or any(current) or item.kind in ("checkbox", "radio"):
            continue
        elif blanks.get(name):
            payload[name] = blanks[name]
        elif item.kind == "select":
            payload[name] = [option for option in item.options if option][:1] or current
    return payload


# --- the world ---------------------------------------------------------------------------------


def eur(major: int) -> Money:
    return Money(major * 100, "EUR")


@dataclass
class World:
    """The data every case runs against, and who acts in it."""

    users: dict[Role, User]
    reference: User  # a superuser, who only reads the forms each role then submits
    sessions: dict[str, str]  # session key, by role value or "reference"
    rows: dict[type[models.Model], int]
    baseline: Snapshot = field(default_factory=dict)
    grants: dict[int, frozenset[str]] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    forms: dict[str, list[FormField]] = field(default_factory=dict)

    def row_of(self, model: type[models.Model], role: Role | None) -> int:
        """The row a case about ``model`` works on: the acting user itself for users."""
        if model is User and role is not None:
            return self.users[role].pk
        if model in self.rows:
            return self.rows[model]
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if pk is None:
            raise UnfillableRoute(f"{model._meta.label} has no row in the world")
        return pk

    def version_of(self, model: type[models.Model], pk: int) -> int:
        """The oldest past version of a row: reverting to it changes the most."""
        version = (
            model.history.filter(id=pk).order_by("history_id").values_list("history_id", flat=True)
        ).first()
        if version is None:
            raise UnfillableRoute(f"{model._meta.label} {pk} has no history")
        return version

    def bank_account_with(self, field_name: str) -> int:
        investor = self.rows[Investor]
        for account in BankAccount.objects.filter(investor=investor).order_by("pk"):
            if getattr(account, field_name):
                return account.pk
        raise UnfillableRoute(f"investor {investor} has no bank account with a {field_name}")

    def client(self, who: str) -> Client:
        client = Client(raise_request_exception=False)
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[who]
        return client


OCF_PACKAGE = Path(__file__).parent / "captable" / "ocf_packages" / "valid"


def _ocf_package_zip() -> bytes:
    """The valid OCF test package, as the zip archive staff upload."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(OCF_PACKAGE.iterdir()):
            archive.writestr(path.name, path.read_bytes())
    return buffer.getvalue()


def _complete_demo() -> dict[type[models.Model], int]:
    """Give every admin model a row the demo leaves out, through the services; return the rows
    the cases should prefer."""
    ops = User.objects.get(email=demo_staff_email(Role.OPERATIONS))
    finance = User.objects.get(email=demo_staff_email(Role.FINANCE))
    officer = User.objects.get(email=demo_staff_email(Role.COMPLIANCE))
    company = Issuer.objects.get(name=COMPANY)
    vesting_terms_create(
        issuer=company,
        name="Four years, one-year cliff",
        cliff_months=12,
        duration_months=48,
        frequency_months=1,
        by=ops,
    )
    atlas = Deal.objects.get(name=SPV_DEAL)
    holders = [s.investor for s in atlas.subscriptions.filter(accepted_minor__gt=0).order_by("pk")]
    distribution_record(
        deal=atlas,
        proceeds=eur(10_000),
        on=date(2026, 3, 31),
        kind=DistributionKind.DIVIDEND,
        by=ops,
        approved_by=finance,
    )
    management_fee_charge(
        deal=atlas,
        period_start=date(2025, 1, 1),
        period_end=date(2026, 1, 1),
        by=ops,
        approved_by=finance,
    )
    secondary_transfer(
        deal=atlas,
        seller=holders[0],
        buyer=holders[1],
        units=Decimal(100_000),
        price=eur(100_000),  # the deal's regime's minimum ticket
        on=date(2026, 4, 30),
        by=ops,
        approved_by=finance,
    )
    # The venture fund's clawback, executed: a clawback and its lines to show.
    deal_proposal_execute(
        proposal=Proposal.objects.get(deal__name=VENTURE_DEAL, action=ProposalAction.CLAWBACK),
        by=finance,
    )
    # Rows the list actions can move on: a proposal finance may execute, a draft subscription.
    deal_operation_propose(
        deal=atlas,
        action=ProposalAction.DISTRIBUTION,
        by=ops,
        proceeds=eur(20_000),
        on=date(2026, 6, 30),
        kind=DistributionKind.DIVIDEND,
    )
    subscription_create(
        deal=Deal.objects.get(name=OPEN_DEAL), investor=holders[0], amount=eur(150_000), by=ops
    )
    # The demo's approved person, given every identifier the admin must keep masked.
    camille = Investor.objects.get(legal_name="Camille Rousseau")
    investor_update(investor=camille, data={"tax_id": "3023217600053"}, by=ops)
    bank_account_add(
        investor=camille,
        holder_name="Camille Rousseau",
        account_number="000123456789",
        currency="USD",
        by=ops,
    )
    sensitive_value_reveal(investor=camille, field="tax_id", by=officer)
    # A draft, the one deal whose terms its change page edits.
    vehicle = issuer_create(
        name="Roundtable Matrix SPV SCSp",
        kind="spv",
        legal_form="SCSp",
        country="LU",
        currency="EUR",
        by=ops,
    )
    units = share_class_create(issuer=vehicle, name="Units", class_type="units", by=ops)
    draft = deal_create(
        name="Matrix draft co-investment", issuer=vehicle, share_class=units, by=ops, **TERMS
    )
    # An OCF import waiting for approval: finance's approval imports it, its cancel page cancels.
    checked = ocf_import_check(filename="lumen.zip", content=_ocf_package_zip(), by=ops)
    proposed = ocf_import_confirm(ocf_import=checked, accept_warnings=True, by=ops)
    return {Investor: camille.pk, Deal: draft.pk, OcfImport: proposed.pk}


def sensitive_values() -> tuple[str, ...]:
    """Every identifier of the world's investors and bank accounts, read in clear."""
    values = []
    for investor in Investor.objects.all():
        values += [getattr(investor, name) for name in SENSITIVE_FIELDS]
    for account in BankAccount.objects.all():
        values += [getattr(account, name) for name in BANK_SENSITIVE_FIELDS]
    return tuple(sorted({value for value in values if value}))


def _signed_in_session(user: User) -> str:
    client = Client()
    response = sign_in(client, user, code=current_totp_code(user.totp_secret))
    assert response.status_code == 302, f"{user} could not sign in: {response.status_code}"
    assert client.get("/admin/").status_code == 200, f"{user} does not reach the admin"
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def world_build() -> World:
    """Seed the demo, complete it, sign one user per role in, and take the baseline."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("seed_demo", force=True, stdout=StringIO())  # tests run with DEBUG off
        rows = _complete_demo()
        users = {
            role: StaffFactory(roles=[role], full_name=f"Matrix {role.label}") for role in Role
        }
        reference = StaffFactory(is_superuser=True, full_name="Matrix reference")
        sessions = {role.value: _signed_in_session(user) for role, user in users.items()}
        sessions["reference"] = _signed_in_session(reference)
    # Run the checks deferred to commit now, once: the world must keep the books' invariants,
    # and each case's own checks then have only its own writes to look at.
    connection.check_constraints()
    return World(
        users=users,
        reference=reference,
        sessions=sessions,
        rows=rows,
        baseline=database_snapshot(),
        grants=granted_permissions(),
        secrets=sensitive_values(),
    )


# --- one request, rolled back ------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    body: str
    error: str = ""  # the exception behind a 500
    broken: bool = False  # the request left the transaction unusable: its writes are unknown
    changes: list[str] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)


# Statements after which the snapshot must be taken; any other (SELECT, SAVEPOINT) reads only.
WRITING_STATEMENTS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE"}
    | {"CREATE", "DROP", "ALTER", "WITH"}
)


class WriteWatcher:
    """An execute wrapper noting whether anything but a read was sent to the database."""

    def __init__(self) -> None:
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        words = str(sql).split(None, 1)
        self.wrote = self.wrote or (bool(words) and words[0].upper() in WRITING_STATEMENTS)
        return execute(sql, params, many, context)


def _text_of(response: HttpResponse) -> str:
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(("text/", "application/json")):
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _error_of(response: HttpResponse) -> str:
    exc_info = getattr(response, "exc_info", None)
    if not exc_info:
        return ""
    return f"{exc_info[0].__name__}: {str(exc_info[1]).splitlines()[0][:160]}"


def request_outcome(
    world: World, who: str, method: str, url: str, data: dict | None = None
) -> Outcome:
    """Send one request as ``who`` (its on-commit effects run too) and say what it answered and
    what it changed, then roll it all back.

    The snapshot is the judge of what changed; it is spared only when the request sent nothing
    but reads to the database, which cannot have changed a row.
    """
    actor = world.reference if who == "reference" else world.users[Role(who)]
    watcher = WriteWatcher()
    with rolled_back():
        with connection.execute_wrapper(watcher), TestCase.captureOnCommitCallbacks(execute=True):
            client = world.client(who)
            response = client.post(url, data or {}) if method == "POST" else client.get(url)
        outcome = Outcome(response.status_code, _text_of(response), _error_of(response))
        if connection.needs_rollback:
            outcome.broken = True
        elif watcher.wrote:
            try:
                with transaction.atomic():
                    outcome.changes = snapshot_changes(world.baseline, database_snapshot())
            except DatabaseError:  # PostgreSQL refuses to read in a transaction that failed
                outcome.broken = True
            if any(change.split()[0] in GRANT_MODELS for change in outcome.changes):
                outcome.granted = escalations(world.grants, granted_permissions(), actor)
    return outcome


def reference_form(world: World, url: str) -> list[FormField]:
    """The main form of ``url`` as a superuser sees it, read once."""
    if url not in world.forms:
        outcome = request_outcome(world, "reference", "GET", url)
        world.forms[url] = page_form(outcome.body) if outcome.status == 200 else []
    return world.forms[url]


def add_form_blanks(world: World, model: type[models.Model], role: Role) -> dict[str, list[str]]:
    """What the empty fields of ``model``'s add form take: the values the same fields have on
    an existing row's change page, else (the forms saved through a service have no change page
    to copy) a value that service accepts."""
    blanks = {
        "action": ["distribution"],  # a proposal the demo's closed SPV can make
        "amount": ["150000"],
        "on": ["2026-06-30"],
        "until": ["2026-12-31"],
        "investor": [str(world.row_of(Investor, role))],
    }
    opts = model._meta
    change = f"/admin/{opts.app_label}/{opts.model_name}/{world.row_of(model, role)}/change/"
    return blanks | form_payload(reference_form(world, change))


def leaked_secrets(world: World, body: str) -> list[str]:
    """The sensitive values ``body`` shows in clear, spaces and all."""
    compact = re.sub(r"\s|&nbsp;|\xa0", "", body)
    return [value for value in world.secrets if value in body or value in compact]


def masked(value: str) -> str:
    return value[:2] + "…" + value[-2:]
