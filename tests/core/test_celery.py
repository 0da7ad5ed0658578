import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery

from apps.core.tasks import ping
from roundtable.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_without_a_broker_a_task_runs_eagerly_in_process():
    assert app.conf.task_always_eager

    result = ping.delay("hello")

    assert result.successful()
    assert result.get()["echo"] == "hello"
    assert result.get()["pid"] == os.getpid()


def test_tasks_of_every_app_are_discovered():
    app.loader.import_default_modules()

    assert "core.ping" in app.tasks


@pytest.mark.redis
@pytest.mark.worker
def test_a_real_worker_on_redis_executes_a_task_enqueued_by_the_test(redis_url, tmp_path):
    queue = f"smoke-{uuid.uuid4().hex}"
    log = (tmp_path / "worker.log").open("w")
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "roundtable",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Celery("smoke-test", broker=redis_url, backend=redis_url)
    try:
        result = client.send_task("core.ping", args=["across the broker"], queue=queue)

        outcome = result.get(timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
        client.close()

    assert outcome["echo"] == "across the broker", (tmp_path / "worker.log").read_text()
    assert outcome["pid"] == worker.pid
