from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .admin_region import NationalOnlyMixin, RegionRuleMixin
from .permissions import is_national
from .models import District, FormerRegion, GlobalIndicator, Goal, Region, Target, User


@admin.register(User)
class UserAdmin(NationalOnlyMixin, BaseUserAdmin):
    """Accounts, roles and permissions: national users only (an akimat officer must not grant themselves a role)."""

    def has_view_permission(self, request, obj=None):
        return is_national(request.user) and super().has_view_permission(request, obj)

    fieldsets = BaseUserAdmin.fieldsets + (("Aimaq", {"fields": ("role", "region", "district")}),)
    list_display = ("username", "role", "region", "district", "is_active", "is_staff")
    list_filter = ("role", "region", "is_staff", "is_active")


@admin.register(Region)
class RegionAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("kato", "name_en", "name_ru", "name_kk", "kind", "iso_code", "ref_area", "population_total")
    list_filter = ("kind",)
    search_fields = ("kato", "name_en", "name_ru", "name_kk", "ref_area")


@admin.register(District)
class DistrictAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("kato", "name_en", "name_ru", "name_kk", "region", "population_total")
    list_filter = ("region",)
    search_fields = ("kato", "name_en", "name_ru", "name_kk")


@admin.register(FormerRegion)
class FormerRegionAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("kato", "name_en", "name_ru", "name_kk")


@admin.register(Goal)
class GoalAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "short_en", "short_ru", "short_kk")


@admin.register(Target)
class TargetAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "goal", "title_en")
    list_filter = ("goal",)
    search_fields = ("code", "title_en", "title_ru", "title_kk")


@admin.register(GlobalIndicator)
class GlobalIndicatorAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "title_en", "untranslated")
    search_fields = ("code", "title_en", "title_ru", "title_kk")
    filter_horizontal = ("targets",)


from simple_history.admin import SimpleHistoryAdmin  # noqa: E402

from .models import Decomposition, ImportRun, Indicator, IndicatorValue, RegionalTarget  # noqa: E402


@admin.register(Indicator)
class IndicatorAdmin(NationalOnlyMixin, SimpleHistoryAdmin):
    list_display = ("code", "title_en", "goal", "category", "localized", "direction_kind", "direction_source_kind",
                     "unit", "target_year", "target_value")
    list_filter = ("goal", "category", "localized", "direction_kind", "direction_source_kind")
    search_fields = ("code", "title_en", "title_ru", "title_kk")
    filter_horizontal = ("targets",)


class RegionScopedAdmin(RegionRuleMixin, SimpleHistoryAdmin):
    """Akimat staff see and change only their own region's rows (the same check as the site, before and after)."""


@admin.register(IndicatorValue)
class IndicatorValueAdmin(RegionScopedAdmin):
    list_display = ("indicator", "year", "region", "dims", "value", "unit", "status", "source_file", "source_line")
    list_filter = ("status", "territory", "region")
    search_fields = ("indicator__code", "area_code", "dims")
    raw_id_fields = ("indicator", "entered_by", "verified_by")
    national_fields = ("status", "entered_by", "verified_by", "verified_at")

    def may_edit_row(self, user, obj) -> bool:
        # akimat staff enter unverified values; official and verified ones are the statistics office's
        return super().may_edit_row(user, obj) and (
            is_national(user) or obj.status == IndicatorValue.Verification.UNVERIFIED or obj.pk is None)

    def save_model(self, request, obj, form, change):
        if not is_national(request.user):
            obj.status = IndicatorValue.Verification.UNVERIFIED
            obj.verified_by, obj.verified_at = None, None
            if not change:
                obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RegionalTarget)
class RegionalTargetAdmin(RegionScopedAdmin):
    list_display = ("indicator", "region", "base_year", "base_value", "target_year", "target_value", "status")
    list_filter = ("status", "region")
    raw_id_fields = ("indicator", "decomposition", "proposed_by", "approved_by")
    national_fields = ("status", "decomposition", "proposed_by", "approved_by")

    def may_edit_row(self, user, obj) -> bool:
        return super().may_edit_row(user, obj) and (
            is_national(user) or obj.status == RegionalTarget.Status.PROPOSED or obj.pk is None)

    def save_model(self, request, obj, form, change):
        if not is_national(request.user):
            obj.status, obj.approved_by = RegionalTarget.Status.PROPOSED, None
            if not change:
                obj.proposed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Decomposition)
class DecompositionAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("indicator", "rule", "weight_kind", "base_year", "target_year", "national_target", "weighted_result", "approved", "created_at")
    list_filter = ("rule", "approved")
    raw_id_fields = ("indicator", "created_by")


@admin.register(ImportRun)
class ImportRunAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("started_at", "source", "status", "files_total", "files_failed", "rows_created", "rows_updated")
    list_filter = ("status",)
    readonly_fields = ("errors",)


from .models import PublishedTarget  # noqa: E402


@admin.register(PublishedTarget)
class PublishedTargetAdmin(NationalOnlyMixin, admin.ModelAdmin):
    """Read-only: the record is fixtures/progress/targets.csv (loaded by load_reference)."""

    list_display = ("code", "kind", "comparison", "target_value", "target_year", "baseline_value", "baseline_year",
                    "source_ref")
    list_filter = ("kind",)
    search_fields = ("code", "source", "source_ref", "series")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
from .models import DisaggregationLabel, ImportedFile  # noqa: E402


@admin.register(ImportedFile)
class ImportedFileAdmin(NationalOnlyMixin, admin.ModelAdmin):
    """Content hashes of imported files (a re-import skips a file while its hash and its values are unchanged)."""

    list_display = ("path", "indicator", "digest", "rows", "imported_at")
    search_fields = ("path", "indicator__code")
    raw_id_fields = ("indicator", "run")


@admin.register(DisaggregationLabel)
class DisaggregationLabelAdmin(NationalOnlyMixin, admin.ModelAdmin):
    """Disaggregation columns and values learned from imported repositories, with their labels (editable)."""

    list_display = ("column", "code", "label_kk", "label_ru", "label_en")
    search_fields = ("column", "code", "label_kk", "label_ru", "label_en")
