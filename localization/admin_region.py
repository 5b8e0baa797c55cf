"""The region rule in the Django admin: the same check as the site (:func:`can_edit_region`) for every row.

Every ModelAdmin whose rows belong to a region (directly or through a chain of foreign keys) derives from
:class:`RegionRuleAdmin` and names the chains in ``region_paths`` (e.g. ``("region", "district__region")`` for a
cycle, ``("cycle__region", "cycle__district__region")`` for a bucket). Then, for a user who is not national
(administrator or statistics officer):

* the list shows only rows of the regions the user may edit;
* view, change and delete need every region of the row to be editable;
* add and change are checked on the row **before** (the stored row) and **after** the change (the row about to be
  saved), so a row can neither be created in, nor moved to, nor changed in another region — a refused save
  raises ``PermissionDenied`` inside the admin's transaction, so nothing is saved;
* foreign-key choices are limited to editable regions, districts and rows (``limit_choices``), so the form
  already refuses another region's choice with a field error;
* ``national_fields`` (status, verification, "official" flags) are read-only.

Reference data that belongs to no single region (regions themselves, the SDG framework, boundaries, national
figures) uses :class:`NationalOnlyAdmin`: akimat staff may look, only national users change.
tests/test_admin_region.py enumerates every registered model that reaches ``Region`` and fails if one is
not covered.
"""
from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from .models import District, Region
from .permissions import bound_region_id, can_edit_region, editable_regions, is_national


def _follow(obj, path: str):
    target = obj
    for part in path.split("__"):
        if target is None:
            return None
        target = getattr(target, part, None)
    return target


class NationalOnlyMixin:
    """Rows that belong to no single region: read-only for everybody but national users."""

    def has_add_permission(self, request, *args, **kwargs):
        return is_national(request.user) and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return is_national(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_national(request.user) and super().has_delete_permission(request, obj)


class NationalOnlyAdmin(NationalOnlyMixin, admin.ModelAdmin):
    pass


class RegionRuleMixin:
    #: ORM paths from the model to a Region (``"region"``, ``"district__region"``, ``"cycle__region"``…).
    region_paths: tuple[str, ...] = ("region",)
    #: fields only national users may set (status, verification, official flags)
    national_fields: tuple[str, ...] = ()
    #: a row reaching no region (e.g. a national value) belongs to national users only
    regionless_is_national = True

    # -- the rule ----------------------------------------------------------------------------------------------
    def regions_of(self, obj) -> set[int]:
        found = set()
        for path in self.region_paths:
            region = _follow(obj, path)
            if region is not None:
                found.add(getattr(region, "pk", region))
        return found

    def may_edit_row(self, user, obj) -> bool:
        """May ``user`` add/change/delete this row? (subclasses may add conditions, e.g. only unverified rows)"""
        return self.region_ok(user, obj)

    def region_ok(self, user, obj) -> bool:
        """Does every region the row reaches pass can_edit_region?"""
        if is_national(user):
            return True
        regions = self.regions_of(obj)
        if not regions:
            return not self.regionless_is_national
        return all(can_edit_region(user, region) for region in regions)

    def region_filter(self, user) -> Q | None:
        """None: everything; otherwise the rows of the user's editable region (nothing for others)."""
        if is_national(user):
            return None
        query = Q(pk__in=[])
        bound = bound_region_id(user)
        if bound is not None:
            for path in self.region_paths:
                query |= Q(**{f"{path}__pk": bound})
        return query

    # -- admin hooks -------------------------------------------------------------------------------------------
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        condition = self.region_filter(request.user)
        return qs if condition is None else qs.filter(condition).distinct()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or self.region_ok(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self.may_edit_row(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or self.may_edit_row(request.user, obj))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not is_national(request.user):
            fields += [f for f in self.national_fields if f not in fields]
        return fields

    def check_row(self, request, obj, change: bool) -> None:
        """Before (the stored row) and after (the row about to be saved): both must be editable."""
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None and not self.may_edit_row(request.user, stored):
                raise PermissionDenied
        if not self.may_edit_row(request.user, obj):
            raise PermissionDenied

    def save_model(self, request, obj, form, change):
        self.check_row(request, obj, change)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        if not self.may_edit_row(request.user, obj):
            raise PermissionDenied
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        if not all(self.may_edit_row(request.user, obj) for obj in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        """Inline rows belong to the parent row, which was checked; check it again after the inlines' save."""
        super().save_formset(request, form, formset, change)
        if not self.may_edit_row(request.user, form.instance):
            raise PermissionDenied

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limited = limit_choices(db_field.related_model, request.user)
        if limited is not None:
            kwargs["queryset"] = limited
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RegionRuleAdmin(RegionRuleMixin, admin.ModelAdmin):
    pass


def limit_choices(model, user):
    """The rows of ``model`` that ``user`` may pick in a foreign key (None: no limit)."""
    if is_national(user):
        return None
    if model is Region:
        return editable_regions(user, Region.objects.all())
    if model is District:
        return District.objects.filter(region__in=editable_regions(user, Region.objects.all()))
    model_admin = admin.site._registry.get(model)
    if isinstance(model_admin, RegionRuleMixin):
        condition = model_admin.region_filter(user)
        return model._default_manager.all() if condition is None else model._default_manager.filter(condition).distinct()
    return None
