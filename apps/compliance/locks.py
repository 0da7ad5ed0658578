"""Compliance's row lock: a screening hit is decided once, under its lock."""

from apps.compliance.models import ScreeningHit


def screening_hit_lock(pk: int) -> ScreeningHit:
    """Lock the screening hit ``pk`` and return it fresh."""
    return ScreeningHit.objects.select_for_update(of=("self",)).get(pk=pk)
