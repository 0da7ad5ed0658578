"""The request that the admin's own views receive."""

from django.http import HttpRequest

from apps.accounts.models import User


class StaffRequest(HttpRequest):
    """A request that reached an admin view or action, for annotations.

    The admin site lets only signed-in staff in, so its user is a :class:`User`, never the
    anonymous one, and can be passed as the ``by`` of a service as it is.
    """

    user: User
