"""Admin for the PPB. Akimat officers see only their region's cycles (the one region check, can_edit_region).

Ballots, their audit and counts are read-only here; before voting closes, what a ballot contains is hidden from
everyone but superusers. IINs never appear (not even a search by IIN: it would put the IIN into access logs).
"""
from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from localization.admin_region import RegionRuleMixin
from localization.permissions import can_edit_region

from . import services
from .models import (
    Attachment,
    Ballot,
    BallotAudit,
    Bucket,
    CountResult,
    CriterionVerdict,
    CycleCount,
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


class RegionScoped(RegionRuleMixin):
    """The region rule (localization.admin_region): ``cycle_path`` leads from the model to its Cycle, whose
    region is its own (a city-wide cycle) or its district's."""

    cycle_path = "cycle"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "region_paths" not in cls.__dict__:
            p = cls.cycle_path + "__" if cls.cycle_path else ""
            cls.region_paths = (f"{p}region", f"{p}district__region")


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


class CycleAdminForm(forms.ModelForm):
    class Meta:
        model = Cycle
        fields = "__all__"

    def clean(self):
        data = super().clean()
        start = data.get("voting_start")
        if self.instance.pk is None and start and start <= timezone.localdate():
            # a new cycle whose dates are already at voting would be frozen at birth: no bucket could be created
                self.add_error("voting_start", _(
                    "Voting would already be open (or over) on these dates, and the rules and money of a cycle are "
                    "frozen once voting opens: a new cycle needs a voting start after today."))
        return data


@admin.register(Cycle)
class CycleAdmin(RegionScoped, SimpleHistoryAdmin):
    form = CycleAdminForm
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

    list_select_related = ("district", "region")

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
class ResidentProfileAdmin(RegionScoped, SimpleHistoryAdmin):
    region_paths = ("district__region",)
    list_select_related = ("user", "district", "verified_by")
    list_display = ("user", "full_name", "district", "birth_date", "sex", "verified_at", "verified_by")
    list_filter = ("verified_at", "district__region")
    search_fields = ("user__username", "full_name")
    fields = ("user", "full_name", "district", "birth_date", "sex", "language", "verified_by", "verified_at",
              "verification_method")
    readonly_fields = ("user", "birth_date", "sex", "verified_by", "verified_at", "verification_method")
    actions = ["mark_verified"]

    def has_add_permission(self, request):
        return False  # residents sign up themselves (the IIN is hashed on the way in)

    @admin.action(description=_("Mark as verified by me (identity and registration checked)"))
    def mark_verified(self, request, queryset):
        """The officer page for verification in person: who (the officer), when (now), how (in_person)."""
        done = 0
        for profile in queryset.select_related("district"):
            if can_edit_region(request.user, profile.district.region_id) and profile.verified_at is None:
                services.verify_resident(profile, request.user, method="in_person")
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
    national_fields = ("status",)  # set by the expert review, not by hand
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
    """Ballots carry no voter identity (a keyed hash only); listed in hash order, without ids or times, so they
    cannot be lined up with the audit (who voted when)."""

    list_filter = ("channel", "cycle")
    list_select_related = ("cycle", "bucket", "voter_district")
    list_display_links = None
    ordering = ("bucket", "voter_hash")
    base_fields = ("cycle", "bucket", "channel", "voter_district", "entered_by")

    def _contents(self, request):
        return _guarded(
            request, _("chosen projects"),
            lambda b: _numbers(b.choices.values_list("pk", flat=True)), lambda b: b,
        )

    def get_list_display(self, request):
        return (*self.base_fields, self._contents(request))

    def get_fields(self, request, obj=None):
        return [*self.base_fields, self._contents(request)]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)


@admin.register(BallotAudit)
class BallotAuditAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    """That someone voted, by whom and when; never what they chose (no choices, no link to the ballot)."""

    list_select_related = ("cycle", "bucket", "actor")
    list_display = ("cycle", "bucket", "channel", "action", "actor", "at")
    fields = list_display
    readonly_fields = list_display
    list_filter = ("action", "channel", "cycle")


@admin.register(CountResult)
class CountResultAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    list_display = ("cycle", "bucket", "rule", "num_votes", "money_spent", "money_left", "pb_sha256", "created_at")
    readonly_fields = ("cycle", "bucket", "rule", "budget", "num_votes", "winners", "tallies", "money_spent",
                       "money_left", "fairness", "pb_sha256", "pb_text", "created_by", "created_at")


@admin.register(CycleCount)
class CycleCountAdmin(ReadOnly, RegionScoped, admin.ModelAdmin):
    list_display = ("cycle", "status", "done", "total", "user", "started_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("cycle", "status", "user", "started_at", "finished_at", "total", "done", "message", "errors")


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
