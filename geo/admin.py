from django.contrib import admin

from localization.admin_region import NationalOnlyMixin, RegionRuleMixin

from .models import Boundary, GapFigure, Recomputation, RssObservation, RssStandard, Settlement, SettlementImport


@admin.register(Boundary)
class BoundaryAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("layer", "code", "region", "district", "former_region", "area_km2")
    list_filter = ("layer",)
    search_fields = ("code",)
    exclude = ("geometry", "web_geometry")
    readonly_fields = ("area_km2", "source")


@admin.register(Settlement)
class SettlementAdmin(RegionRuleMixin, admin.ModelAdmin):
    region_paths = ("region", "district__region")  # both follow the coordinates: checked after locate()
    list_display = ("name_ru", "name_kk", "type", "population", "region", "district", "problem", "osm_id")
    list_filter = ("type", "problem", "region")
    search_fields = ("name_kk", "name_ru", "name_en", "osm_id")
    raw_id_fields = ("district",)
    readonly_fields = ("imported_by", "updated_at")

    def save_model(self, request, obj, form, change):
        # region and district always follow the coordinates (the same point-in-polygon as the import)
        from . import services

        services.locate(obj)
        super().save_model(request, obj, form, change)


@admin.register(SettlementImport)
class SettlementImportAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "started_at", "file_name", "status", "total", "created", "updated", "unchanged", "rejected")
    readonly_fields = [f.name for f in SettlementImport._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Recomputation)
class RecomputationAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "started_at", "status", "done", "total")
    readonly_fields = [f.name for f in Recomputation._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(RssStandard)
class RssStandardAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("code", "name_en", "settlement_types", "is_example")
    list_filter = ("is_example",)
    search_fields = ("code", "name_kk", "name_ru", "name_en")


@admin.register(RssObservation)
class RssObservationAdmin(RegionRuleMixin, admin.ModelAdmin):
    region_paths = ("settlement__region",)
    list_display = ("settlement", "standard", "year", "met", "source", "entered_by")
    list_filter = ("year", "met", "standard")
    raw_id_fields = ("settlement",)
    readonly_fields = ("entered_by", "updated_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "standard":
            kwargs["queryset"] = RssStandard.objects.filter(is_example=False)  # examples never enter a figure
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not obj.entered_by_id:
            obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GapFigure)
class GapFigureAdmin(NationalOnlyMixin, admin.ModelAdmin):
    list_display = ("kind", "measure", "region", "scope", "year", "period", "value", "qualifier", "seed_line")
    list_filter = ("kind", "measure", "scope")
    search_fields = ("quote", "note")
