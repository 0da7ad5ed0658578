"""What the deal admin pages share: money columns and forms that save through a service."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from apps.core.money import Money

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def amount_typed(value: Decimal, currency: str) -> Money:
    """Return the money an amount typed in major units of ``currency`` stands for; refuse one
    that is not an amount of that currency or that no amount column holds (see
    :meth:`~apps.core.money.Money.from_input`) with a ``ValidationError`` for its field."""
    try:
        return Money.from_input(value, currency)
    except ValueError as error:
        raise ValidationError(str(error), code="amount") from error


def money_column(field: str, description: str, currency: str, *, none: str | None = None):
    """A display method showing the integer ``field`` as money in the currency at ``currency``
    (a dotted path from the row, such as ``"deal.currency"``); a null amount shows ``none``
    (the admin's empty value when ``None``)."""
    currency_of = attrgetter(currency)

    @admin.display(description=description, ordering=field)
    def column(self, record) -> str | None:
        amount = getattr(record, field)
        if amount is None:
            return none
        return Money(amount, currency_of(record)).format()

    return column


def show_on_form(
    form: forms.BaseForm, error: ValidationError, renamed: Mapping[str, str] | None = None
) -> None:
    """Put a service's ``ValidationError`` on ``form``: each message on the form field it names
    (through ``renamed``, model field to form field), else above the form, naming the field."""
    renamed = renamed or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        texts = ValidationError(errors).messages
        field = renamed.get(name, name)
        if field in form.fields:
            form.add_error(field, texts)
        elif name == NON_FIELD_ERRORS:
            form.add_error(None, texts)
        else:
            form.add_error(None, [f"{name.replace('_', ' ')}: {text}" for text in texts])


def service_form_response(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    intro: str,
    submit: str,
    fieldsets: Sequence[tuple[str | None, Sequence[str]]] | None = None,
    original: Any = None,
) -> TemplateResponse:
    """The admin page of a form saved through a service (``admin/deals/service_form.html``)."""
    request.current_app = model_admin.admin_site.name
    groups = fieldsets or [(None, list(form.fields))]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit": submit,
        "opts": model_admin.opts,
        "original": original,
        "form": form,
        "fieldsets": [(name, [form[field] for field in fields]) for name, fields in groups],
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/deals/service_form.html", context)


class FirstRowsInline(admin.TabularInline):
    """An inline showing only the first :attr:`shown` rows: a deal may have thousands. The
    parent page links to the full, paginated list (:func:`all_rows_link`)."""

    shown = 50

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        shown = self.shown

        # The formset class is built by the admin at run time, hence unknown to the checker.
        class FirstRows(formset):  # type: ignore[valid-type, misc]
            def get_queryset(self):
                if not hasattr(self, "_first_rows"):
                    self._first_rows = super().get_queryset()[:shown]
                    len(self._first_rows)  # one query; each form then reads the cached rows
                return self._first_rows

        return FirstRows


def all_rows_link(queryset, changelist: str, query: str, what: str) -> str:
    """A link to the admin list ``changelist`` filtered by ``query``, saying how many rows."""
    count = queryset.count()
    url = f"{reverse(f'admin:{changelist}')}?{query}"
    return format_html('<a href="{}">All {} {}</a>', url, count, what)
