"""The deals' row locks, one helper per locked model, each in one order.

A use case locks the deal before its subscriptions or notices, and several rows of one model in
primary-key order, so that two use cases never wait on each other in opposite orders. Each
helper locks only its own rows (``of=("self",)``), whatever it joins to read.
"""

from django.db.models import QuerySet

from apps.deals.models import CapitalCallNotice, Deal, Subscription


def deal_lock(deal: Deal) -> Deal:
    """Lock ``deal`` and return it fresh, with its vehicle and class of units."""
    return (
        Deal.objects.select_for_update(of=("self",))
        .select_related("issuer", "share_class")
        .get(pk=deal.pk)
    )


def subscriptions_lock(subscriptions: QuerySet[Subscription]) -> list[Subscription]:
    """Lock the subscriptions ``subscriptions`` selects, in primary-key order."""
    return list(subscriptions.select_for_update(of=("self",)).order_by("pk"))


def notice_lock(notice: CapitalCallNotice) -> CapitalCallNotice:
    """Lock ``notice`` and return it fresh, with its call, deal, vehicle and investor."""
    return (
        CapitalCallNotice.objects.select_for_update(of=("self",))
        .select_related("call__deal__issuer", "call__operation", "investor")
        .get(pk=notice.pk)
    )


def notices_lock(notices: QuerySet[CapitalCallNotice]) -> list[CapitalCallNotice]:
    """Lock the notices ``notices`` selects, in primary-key order."""
    return list(notices.select_for_update(of=("self",)).order_by("pk"))
