import os
import socket

from celery import shared_task


@shared_task(name="core.ping")  # type: ignore[untyped-decorator]  # celery ships no types
def ping(payload: str) -> dict[str, str | int]:
    """Echo ``payload`` with the worker that ran it: proves a worker consumes the queue."""
    return {"echo": payload, "host": socket.gethostname(), "pid": os.getpid()}
