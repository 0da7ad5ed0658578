from celery import shared_task

from apps.accounts.services import system_user
from apps.compliance.services import sanctions_screen_all


@shared_task(bind=True, name="compliance.sanctions_rescreen")
def sanctions_rescreen(self) -> int:
    """Re-screen every investor after a list import, reporting progress as it goes."""

    def progress(done: int, total: int) -> None:
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"done": done, "total": total})

    return sanctions_screen_all(by=system_user(), progress=progress)
