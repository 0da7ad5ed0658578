"""The back-office admin site: active staff who passed a second factor in this session only.

Signing in happens through allauth (e-mail, password, then the authenticator code). A staff user
who has no authenticator yet is sent to set one up; one whose session has not passed the second
factor is asked for a code; anyone else is refused. No admin page is served before that.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.accounts.selectors import staff_may_enter_back_office, user_has_second_factor


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


class StaffAdminSite(admin.AdminSite):
    site_header = "Roundtable back office"
    site_title = "Roundtable back office"
    index_title = "Back office"

    def has_permission(self, request: HttpRequest) -> bool:
        return staff_may_enter_back_office(request=request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponseRedirect:
        """Send the visitor to the step of the sign-in they still owe."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return HttpResponseRedirect(_with_next("account_login", next_url))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("This account has no access to the back office.")
        if not user_has_second_factor(user=user):
            messages.warning(
                request,
                "The back office requires a second factor: set up an authenticator app first.",
            )
            return HttpResponseRedirect(_with_next("mfa_activate_totp", next_url))
        if not staff_may_enter_back_office(request=request):
            return HttpResponseRedirect(_with_next("mfa_reauthenticate", next_url))
        return HttpResponseRedirect(next_url)
