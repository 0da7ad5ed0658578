"""The Celery application.

Configured from Django settings (the ``CELERY_`` names); tasks are discovered in each app's
``tasks`` module. Without a broker configured, settings make every task run eagerly in-process.
"""

import os

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roundtable.settings")

app = Celery("roundtable")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["worker"].add(DjangoStructLogInitStep)
app.autodiscover_tasks()
