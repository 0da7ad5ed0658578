"""Health probe: a full /healthz request against the database round trip it performs."""

from django.db import connection
from django.test import Client

from benchmarks.timing import Measure, best_of

REQUESTS = 200


def run() -> list[Measure]:
    client = Client()

    def probe() -> None:
        for _ in range(REQUESTS):
            assert client.get("/healthz").status_code == 200

    def select_one() -> None:
        with connection.cursor() as cursor:
            for _ in range(REQUESTS):
                cursor.execute("SELECT 1")
                cursor.fetchone()

    return [
        Measure(
            name=f"{REQUESTS} GET /healthz",
            seconds=best_of(probe),
            floor_name=f"{REQUESTS} raw SELECT 1",
            floor_seconds=best_of(select_one),
        )
    ]
