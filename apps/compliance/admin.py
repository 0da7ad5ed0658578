from django.contrib import admin
from django.http import HttpRequest

from apps.accounts.requests import StaffRequest
from apps.compliance.models import Assessment, RuleSet, SanctionsList, ScreeningHit
from apps.compliance.services import screening_hit_decide
from apps.core.admin import ReadOnlyAdminMixin, run_for_each


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["regime", "version", "effective_from", "created_by", "created_at"]
    list_filter = ["regime"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "investor",
        "regime",
        "outcome",
        "assessed_on",
        "valid_until",
        "decided_by",
        "recorded_by",
        "version",
    ]
    list_filter = ["outcome", "regime", "investor__country_of_residence"]
    search_fields = ["investor__legal_name"]
    list_select_related = ["investor", "rule_set", "decided_by", "recorded_by"]
    date_hierarchy = "assessed_on"

    @admin.display(description="Rule set")
    def version(self, assessment: Assessment) -> str:
        return f"v{assessment.rule_set.version}"


@admin.register(SanctionsList)
class SanctionsListAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "imported_at", "imported_by", "entry_count", "source_name"]


@admin.register(ScreeningHit)
class ScreeningHitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["investor", "screened_name", "entry", "score", "state", "decided_by"]
    list_filter = ["state", "investor__country_of_residence", "entry__list_name"]
    search_fields = ["investor__legal_name", "screened_name", "entry__name"]
    list_select_related = ["investor", "entry", "decided_by"]
    actions = ["clear", "confirm"]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compliance.change_screeninghit")

    @admin.action(description="Clear: not the same person", permissions=["decide"])
    def clear(self, request: StaffRequest, queryset) -> None:
        self._decide(request, queryset, confirmed=False)

    @admin.action(description="Confirm the match", permissions=["decide"])
    def confirm(self, request: StaffRequest, queryset) -> None:
        self._decide(request, queryset, confirmed=True)

    def _decide(self, request: StaffRequest, queryset, *, confirmed: bool) -> None:
        verdict = "confirmed" if confirmed else "cleared"
        run_for_each(
            self,
            request,
            queryset,
            lambda hit: screening_hit_decide(
                hit=hit,
                confirmed=confirmed,
                reason=f"{verdict.capitalize()} from the review queue by {request.user}",
                by=request.user,
            ),
            f"match(es) {verdict}",
        )
