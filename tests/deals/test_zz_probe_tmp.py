from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.deals.test_admin_operations import *  # noqa
from tests.deals.test_admin_operations import ADMIN, TODAY, eur, timedelta


def test_probe(world, finance_client):
    fund = world.fund(investors=5)
    for weeks in range(4):
        call = world.call(fund, eur(10_000), due=TODAY + timedelta(weeks=weeks))
        world.pay(call.notices.order_by("pk").first(), eur(500))
    for url in [f"{ADMIN}/capitalcallnotice/", f"{ADMIN}/capitalcall/{call.pk}/change/", f"{ADMIN}/capitalcallpayment/", f"{ADMIN}/capitalcall/", f"{ADMIN}/capitalcallnotice/?q=Investor+1", f"{ADMIN}/capitalcallnotice/{call.notices.first().pk}/change/", f"{ADMIN}/capitalcallnotice/{call.notices.first().pk}/history/"]:
        finance_client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            r = finance_client.get(url)
        print(url, r.status_code, len(ctx.captured_queries))
    for q in ctx.captured_queries: print(q["sql"][:200])
