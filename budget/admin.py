"""Admin for the PPB. Akimat officers see only their region's cycles (the one region check, can_edit_region).

Ballots, their audit and counts are read-only here; before voting closes, what a ballot contains is hidden from
everyone but superusers. IINs never appear (not even a search by IIN: it would put the IIN into access logs).
"""
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from localization.permissions import can_edit_region, is_statistics

from . import services
from .models import (
    Attachment,
    Ballot,
    BallotAudit,
    Bucket,
    CountResult,
    CriterionVerdict,
    Cycle,
    ExpertAssignment,
    Implementation,
    Milestone,
    Proposal,
    ResidentProfile,
    Review,
    Sponsorship,
    StageChange,
)

HIDDEN = _("hidden until voting closes")


def _national(user) -> bool:
    return user.is_superuser or is_statistics(user)


class RegionScoped:
    """Limit rows to the officer's region; ``cycle_path`` leads from the model to its Cycle."""

    cycle_path = "cycle"

    def _cycle_of(self, obj):
        target = obj
        for part in self.cycle_path.split("__"):
            target = getattr(target, part)
        return target

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        if _national(user):
            return qs
        if user.role == "akimat" and user.region_id:
            p = self.cycle_path + "__" if self.cycle_path else ""
            return qs.filter(Q(**{f"{p}district__region_id": user.region_id}) | Q(**{f"{p}region_id": user.region_id}))
        return qs.none()

    def _may_edit(self, request, obj) -> bool:
        return obj is None or _national(request.user) or can_edit_region(request.user, self._cycle_of(obj).owner_region)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_edit(request, obj)


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BucketInline(admin.TabularInline):
    model = Bucket
    extra = 0
    fields = ("name_kk", "name_ru", "name_en", "category", "min_apartments", "max_apartments", "money")


class ExpertInline(admin.TabularInline):
    model = ExpertAssignment
    extra = 0
    autocomplete_fields = ("expert",)


@admin.register(Cycle)
class CycleAdmin(RegionScoped, SimpleHistoryAdmin):
    cycle_path = ""
    list_display = ("name_en", "owner", "year", "stage_now", "ballot_rule", "counting_rule", "frozen_at", "closed_at")
    list_filter = ("year", "ballot_rule", "counting_rule")
    search_fields = ("name_kk", "name_ru", "name_en")
    readonly_fields = ("stage_override", "frozen_at", "closed_at")
    inlines = [BucketInline, ExpertInline]
    fieldsets = (
        (None, {"fields": ("name_kk", "name_ru", "name_en", "district", "region", "year")}),
        (_("Money"), {"fields": ("mrp", "total_money", "cap_unit", "cap_amount")}),
        (_("Rules (frozen when voting opens)"),
         {"fields": ("ballot_rule", "max_choices", "vote_changeable", "verified_only", "counting_rule",
                     "proposals_per_author")}),
        (_("Stages"), {"fields": ("submission_start", "submission_end", "review_end", "revision_end", "rereview_end",
                                  "voting_start", "voting_end", "results_date", "implementation_start",
                                  "stage_override", "frozen_at", "closed_at")}),
    )

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request).select_related("district", "region")
        user = request.user
        if _national(user):
            return qs
        if user.role == "akimat" and user.region_id:
            return qs.filter(Q(district__region_id=user.region_id) | Q(region_id=user.region_id))
        return qs.none()

    def _cycle_of(self, obj):
        return obj

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if services.ensure_default_bucket(form.instance):
            self.message_user(request, _("The cycle has no bucket: one bucket for all proposals, with all the cycle's "
                                         "money, was created."))

    @admin.display(description=_("territory"))
    def owner(self, obj):
        return obj.owner_name

    @admin.display(description=_("stage"))
    def stage_now(self, obj):
        return obj.get_stage_display()


@admin.register(Bucket)
class BucketAdmin(RegionScoped, SimpleHistoryAdmin):
    list_display = ("name_en", "cycle", "category", "money")
    list_filter = ("cycle",)


@admin.register(Sponsorship)
class SponsorshipAdmin(RegionScoped, SimpleHistoryAdmin):
    cycle_path = "bucket__cycle"
    list_display = ("sponsor", "bucket", "amount")


@admin.register(StageChange)
class StageChangeAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    list_display = ("cycle", "changed_at", "changed_by", "from_stage", "to_stage", "reason")
    list_filter = ("cycle",)


@admin.register(ResidentProfile)
class ResidentProfileAdmin(SimpleHistoryAdmin):
    list_display = ("user", "full_name", "district", "birth_date", "sex", "verified_at", "verified_by")
    list_filter = ("verified_at", "district__region")
    search_fields = ("user__username", "full_name")
    fields = ("user", "full_name", "district", "birth_date", "sex", "language", "verified_by", "verified_at")
    readonly_fields = ("user", "birth_date", "sex", "verified_by", "verified_at")
    actions = ["mark_verified"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user", "district", "verified_by")
        if _national(request.user):
            return qs
        if request.user.role == "akimat" and request.user.region_id:
            return qs.filter(district__region_id=request.user.region_id)
        return qs.none()

    @admin.action(description=_("Mark as verified by me (identity and registration checked)"))
    def mark_verified(self, request, queryset):
        done = 0
        for profile in queryset.select_related("district"):
            if can_edit_region(request.user, profile.district.region_id):
                profile.verified_by, profile.verified_at = request.user, timezone.now()
                profile.save(update_fields=["verified_by", "verified_at"])
                done += 1
        self.message_user(request, _("%(n)s resident(s) verified.") % {"n": done}, messages.SUCCESS)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("original_name", "kind", "size", "file")
    readonly_fields = ("original_name", "kind", "size", "file")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(RegionScoped, SimpleHistoryAdmin):
    list_display = ("id", "title", "cycle", "bucket", "category", "status", "estimated_cost", "adjusted_cost")
    list_filter = ("cycle", "status", "category")
    search_fields = ("title", "address")
    autocomplete_fields = ("author", "co_applicants")
    filter_horizontal = ("sdg_targets", "sdg_goals")
    inlines = [AttachmentInline]


@admin.register(Attachment)
class AttachmentAdmin(RegionScoped, admin.ModelAdmin):
    cycle_path = "proposal__cycle"
    list_display = ("original_name", "proposal", "kind", "size", "uploaded_at")


@admin.register(ExpertAssignment)
class ExpertAssignmentAdmin(RegionScoped, admin.ModelAdmin):
    list_display = ("cycle", "expert")
    autocomplete_fields = ("expert",)


class VerdictInline(admin.TabularInline):
    model = CriterionVerdict
    extra = 0
    fields = ("criterion", "passed", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnly, RegionScoped, SimpleHistoryAdmin):
    cycle_path = "proposal__cycle"
    list_display = ("proposal", "round", "decision", "expert", "created_at")
    list_filter = ("decision", "round")
    inlines = [VerdictInline]


@admin.register(CriterionVerdict)
class CriterionVerdictAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    cycle_path = "review__proposal__cycle"
    list_display = ("review", "criterion", "passed", "reason")
    list_filter = ("criterion", "passed", "reason")


def _ballot_visible(request, ballot) -> bool:
    return request.user.is_superuser or ballot.cycle.voting_closed


def _numbers(ids) -> str:
    return ", ".join(f"№ {pk}" for pk in sorted(ids or [])) or "—"


def _guarded(request, label, getter, ballot_of):
    """A column/field bound to this request (admin instances are shared between threads, requests are not)."""

    def column(obj):
        return getter(obj) if _ballot_visible(request, ballot_of(obj)) else HIDDEN

    column.short_description = label
    return column


@admin.register(Ballot)
class BallotAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    list_filter = ("channel", "cycle")
    list_select_related = ("cycle", "bucket", "voter_district")
    base_fields = ("cycle", "bucket", "channel", "voter_district", "entered_by", "created_at", "updated_at")

    def _contents(self, request):
        return _guarded(
            request, _("chosen projects"),
            lambda b: _numbers(b.choices.values_list("pk", flat=True)), lambda b: b,
        )

    def get_list_display(self, request):
        return ("id", *self.base_fields[:-2], "created_at", self._contents(request))

    def get_fields(self, request, obj=None):
        return [*self.base_fields, self._contents(request)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


@admin.register(BallotAudit)
class BallotAuditAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    cycle_path = "ballot__cycle"
    list_select_related = ("ballot__cycle", "actor")
    base_fields = ("ballot", "action", "actor", "at")

    def _columns(self, request):
        return [
            _guarded(request, _("old choices"), lambda a: _numbers(a.old), lambda a: a.ballot),
            _guarded(request, _("new choices"), lambda a: _numbers(a.new), lambda a: a.ballot),
        ]

    def get_list_display(self, request):
        return (*self.base_fields, *self._columns(request))

    def get_fields(self, request, obj=None):
        return [*self.base_fields, *self._columns(request)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


@admin.register(CountResult)
class CountResultAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    list_display = ("cycle", "bucket", "rule", "num_votes", "money_spent", "money_left", "pb_sha256", "created_at")
    readonly_fields = ("cycle", "bucket", "rule", "budget", "num_votes", "winners", "tallies", "money_spent",
                       "money_left", "fairness", "pb_sha256", "pb_text", "created_by", "created_at")


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Implementation)
class ImplementationAdmin(RegionScoped, SimpleHistoryAdmin):
    cycle_path = "proposal__cycle"
    list_display = ("proposal", "status", "progress", "money_planned", "money_spent", "updated_at")
    list_filter = ("status",)
    inlines = [MilestoneInline]


@admin.register(Milestone)
class MilestoneAdmin(RegionScoped, SimpleHistoryAdmin):
    cycle_path = "implementation__proposal__cycle"
    list_display = ("implementation", "date", "text")

    @admin.display(description=_("photo"))
    def photo_link(self, obj):
        return format_html('<a href="{}">{}</a>', obj.photo.url, _("photo")) if obj.photo else "—"
