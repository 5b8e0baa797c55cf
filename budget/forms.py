"""Forms of the PPB pages. Rules live in budget.services; forms translate refusals into field errors."""
from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from localization.models import District, Goal

from . import services
from .models import (
    FAIL_REASONS,
    Bucket,
    Category,
    Criterion,
    Cycle,
    Implementation,
    Milestone,
    Proposal,
    Reason,
    ResidentProfile,
    Review,
    Stage,
)
from .services import BudgetError


class NoEchoTextInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page (used for IINs)."""

    def format_value(self, value):
        return None


def iin_field(label=None):
    return forms.CharField(
        label=label or _("IIN"),
        max_length=20,
        help_text=_("Your 12-digit individual identification number. It is not stored: only a keyed hash is kept."),
        widget=NoEchoTextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": r"[0-9 ]*"}),
        error_messages={"required": _("Enter the IIN.")},
    )


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.region.name} — {obj.name}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def apply_error(form: forms.Form, error: BudgetError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


# --------------------------------------------------------------------------------------------------- sign-up

class SignUpForm(UserCreationForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False, help_text=_("For notifications about your proposals."))
    iin = iin_field()
    district = DistrictChoiceField(
        label=_("District of registration"),
        queryset=District.objects.select_related("region").order_by("region__kato", "kato"),
        help_text=_("The district where you have permanent or temporary registration."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    field_order = ["username", "password1", "password2", "iin", "district", "full_name", "email"]

    def clean_iin(self):
        raw = self.cleaned_data["iin"]
        services.decode_iin(raw)  # raises a translated ValidationError
        if ResidentProfile.objects.filter(iin_hash=services.hash_iin(raw)).exists():
            raise ValidationError(_("An account already exists for this IIN."), code="iin_taken")
        return services.normalize_iin(raw)

    def save(self, commit=True, language="kk"):
        data = self.cleaned_data
        return services.register_resident(
            username=data["username"], password=data["password1"], iin=data["iin"], district=data["district"],
            full_name=data.get("full_name", ""), email=data.get("email", ""), language=language,
        )


# --------------------------------------------------------------------------------------------------- proposals

class ProposalForm(forms.Form):
    bucket = forms.ModelChoiceField(label=_("Bucket"), queryset=Bucket.objects.none())
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    address = forms.CharField(label=_("Address"), max_length=300)
    pin_lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    pin_lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(
        label=_("Latitude"), required=False,
        help_text=_("Click the map to place the pin, or type the coordinates, e.g. 51.1283."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"), required=False, help_text=_("For example 71.4305."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    apartments = forms.IntegerField(
        label=_("Apartments in the courtyard"), required=False, min_value=0,
        help_text=_("Only needed for buckets by courtyard size."),
    )
    estimated_cost = forms.IntegerField(label=_("Estimated cost, tenge"), min_value=1)
    sdg_goals = forms.ModelMultipleChoiceField(
        label=_("SDG goals"), queryset=Goal.objects.order_by("number"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional: the Sustainable Development Goals the project contributes to. Type in the box to filter."),
    )
    co_applicants = forms.CharField(
        label=_("Co-applicants"), required=False, max_length=500,
        help_text=_("User names of other residents applying with you, separated by commas."),
    )
    attachments = MultipleFileField(
        label=_("Photos, sketch or estimate"), required=False,
        help_text=_("JPG, PNG or PDF, at most 5 MB each."),
    )

    def __init__(self, *args, cycle: Cycle, user, proposal: Proposal | None = None, **kwargs):
        if proposal is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "bucket": proposal.bucket_id, "title": proposal.title, "description": proposal.description,
                "category": proposal.category, "address": proposal.address, "lat": proposal.lat, "lon": proposal.lon,
                "pin_lat": proposal.lat, "pin_lon": proposal.lon, "apartments": proposal.apartments,
                "estimated_cost": proposal.estimated_cost,
                "sdg_goals": sorted(
                    set(proposal.sdg_goals.values_list("pk", flat=True))
                    | set(proposal.sdg_targets.values_list("goal_id", flat=True))
                ),
                "co_applicants": ", ".join(proposal.co_applicants.values_list("username", flat=True)),
            }
        super().__init__(*args, **kwargs)
        self.cycle, self.user, self.proposal = cycle, user, proposal
        self.fields["bucket"].queryset = cycle.buckets.all()
        self.fields["bucket"].label_from_instance = lambda b: b.name
        self.fields["estimated_cost"].help_text = _("At most %(cap)s ₸ per project.") % {
            "cap": f"{cycle.cap_tenge:,}".replace(",", " ")
        }
        self.fields["sdg_goals"].label_from_instance = lambda g: f"{g.number}. {g.short}"
        buckets = list(cycle.buckets.all())
        if len(buckets) == 1:
            self.fields["bucket"].initial = buckets[0].pk

    def clean(self):
        data = super().clean()
        lat = data.get("lat") if data.get("lat") is not None else data.get("pin_lat")
        lon = data.get("lon") if data.get("lon") is not None else data.get("pin_lon")
        if lat is None or lon is None:
            self.add_error("lat", _("Place the pin on the map or type the latitude and longitude."))
            return data
        data["lat"], data["lon"] = lat, lon
        names = [n.strip() for n in (data.get("co_applicants") or "").split(",") if n.strip()]
        try:
            data["co_applicant_users"] = services.resolve_co_applicants(names, self.user)
        except BudgetError as error:
            apply_error(self, error)
        for upload in data.get("attachments") or []:
            try:
                services.attachment_kind(upload)
            except ValidationError as error:
                self.add_error("attachments", error)
        if self.errors or not data.get("bucket") or data.get("estimated_cost") is None:
            return data
        try:
            services.check_proposal_fields(
                self.cycle, bucket=data["bucket"], category=data["category"], apartments=data.get("apartments"),
                cost=data["estimated_cost"], lat=lat, lon=lon,
            )
        except BudgetError as error:
            apply_error(self, error)
        return data

    def sdg_choice(self) -> dict:
        """``goals`` and ``targets`` for the services: targets set earlier (admin, API) are kept if their goal stays."""
        goals = list(self.cleaned_data.get("sdg_goals") or [])
        targets = []
        if self.proposal is not None:
            numbers = {g.pk for g in goals}
            targets = [t for t in self.proposal.sdg_targets.all() if t.goal_id in numbers]
        return {"goals": goals, "targets": targets}

    def proposal_data(self) -> services.ProposalData:
        d = self.cleaned_data
        return services.ProposalData(
            bucket=d["bucket"], title=d["title"], description=d["description"], category=d["category"],
            address=d["address"], lat=d["lat"], lon=d["lon"], estimated_cost=d["estimated_cost"],
            apartments=d.get("apartments"),
        )


# --------------------------------------------------------------------------------------------------- review

VERDICT_CHOICES = [("pass", _("met")), ("fail", _("not met"))]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Review.Decision.choices, widget=forms.RadioSelect)
    explanation = forms.CharField(
        label=_("Public explanation"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Published in the protocol. Required unless the proposal is admitted."),
    )
    adjusted_cost = forms.IntegerField(
        label=_("Adjusted cost, tenge"), required=False, min_value=1,
        help_text=_("Leave empty to keep the author's estimate."),
    )

    def __init__(self, *args, proposal: Proposal, round_: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal, self.round = proposal, round_
        self.criteria = []
        for criterion in Criterion:
            verdict = forms.ChoiceField(
                label=criterion.label, choices=VERDICT_CHOICES, widget=forms.RadioSelect,
                error_messages={"required": _("Mark this criterion as met or not met.")},
            )
            reason = forms.ChoiceField(
                label=_("Reason if not met"), required=False,
                choices=[("", "—")] + [(code, Reason(code).label) for code in FAIL_REASONS[criterion]],
            )
            self.fields[f"verdict_{criterion.value}"] = verdict
            self.fields[f"reason_{criterion.value}"] = reason
            self.criteria.append((criterion, self[f"verdict_{criterion.value}"], self[f"reason_{criterion.value}"]))
        if round_ == 2:
            self.fields["decision"].choices = [
                c for c in Review.Decision.choices if c[0] != Review.Decision.NEEDS_REVISION
            ]
        self.order_fields([f for c in Criterion for f in (f"verdict_{c.value}", f"reason_{c.value}")]
                          + ["decision", "explanation", "adjusted_cost"])

    def verdicts(self) -> dict[str, tuple[bool, str]]:
        out = {}
        for criterion in Criterion:
            passed = self.cleaned_data.get(f"verdict_{criterion.value}") == "pass"
            reason = Reason.MEETS if passed else self.cleaned_data.get(f"reason_{criterion.value}", "")
            out[criterion.value] = (passed, reason)
        return out

    def clean(self):
        data = super().clean()
        for criterion in Criterion:
            if data.get(f"verdict_{criterion.value}") == "fail" and not data.get(f"reason_{criterion.value}"):
                self.add_error(f"reason_{criterion.value}", _("Choose why the criterion is not met."))
        return data


# --------------------------------------------------------------------------------------------------- ballots

class ProposalChoicesField(forms.ModelMultipleChoiceField):
    """The chosen proposals, read with one query (or none: ``known``, the proposals the view has already read).

    Django's ``ModelMultipleChoiceField`` validates each submitted value by building a query with it before the one
    query that reads them; here the values are checked as ids (whole numbers in the id column's range) first."""

    known: list | None = None

    def _check_values(self, value):
        ids = services.choice_ids(value)
        if ids is None:
            raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value")
        if self.known is not None and {p.pk for p in self.known} == ids:
            return list(self.known)
        chosen = self.queryset.filter(pk__in=ids)
        found = {p.pk for p in chosen}
        for pk in sorted(ids - found):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk})
        return chosen


class BallotForm(forms.Form):
    choices = ProposalChoicesField(
        label=_("Projects"), queryset=Proposal.objects.none(), widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one project."),
            "invalid_pk_value": _("Unknown project on the ballot."),
            "invalid_choice": _("Only projects admitted to the vote in this bucket can be chosen."),
        },
    )

    def __init__(self, *args, bucket: Bucket, chosen: list[Proposal] | None = None, **kwargs):
        """``chosen``: the submitted proposals as the view has read them (services.admitted_choices_with_bucket);
        they are still checked here (same ids, then the cycle's ballot rule) but not read again."""
        super().__init__(*args, **kwargs)
        self.bucket = bucket
        field = self.fields["choices"]
        field.queryset = services.ballot_candidates(bucket)
        field.known = chosen
        field.label_from_instance = lambda p: _("%(title)s — %(cost)s ₸") % {
            "title": p.title, "cost": f"{p.cost:,}".replace(",", " ")
        }
        cycle = bucket.cycle
        if cycle.ballot_rule == Cycle.BallotRule.APPROVAL:
            field.help_text = _("Choose at most %(k)s projects.") % {"k": cycle.max_choices}
        else:
            field.help_text = _("Choose projects whose total cost is at most %(money)s ₸.") % {
                "money": f"{bucket.total_money:,}".replace(",", " ")
            }

    def clean(self):
        data = super().clean()
        chosen = data.get("choices")
        if chosen:
            try:
                data["choices"] = services.check_choices(self.bucket, [p.pk for p in chosen], proposals=list(chosen))
            except BudgetError as error:
                self.add_error("choices", error.message)
        return data


class PaperBallotForm(BallotForm):
    iin = iin_field(_("Voter's IIN"))
    district = DistrictChoiceField(label=_("Voter's district of registration"), queryset=District.objects.none())

    def __init__(self, *args, bucket: Bucket, **kwargs):
        super().__init__(*args, bucket=bucket, **kwargs)
        self.fields["district"].queryset = bucket.cycle.eligible_districts().select_related("region")
        if bucket.cycle.district_id:
            self.fields["district"].initial = bucket.cycle.district_id
        self.order_fields(["iin", "district", "choices"])

    def clean_iin(self):
        raw = self.cleaned_data["iin"]
        services.decode_iin(raw)
        return services.normalize_iin(raw)


# --------------------------------------------------------------------------------------------------- officers

class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Recorded with your name and the time."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", _("Follow the dates"))] + list(Stage.choices)


class CycleRulesForm(forms.ModelForm):
    """The ballot and counting rules of a cycle; refused once voting has opened."""

    class Meta:
        model = Cycle
        fields = ["ballot_rule", "max_choices", "vote_changeable", "verified_only", "counting_rule", "proposals_per_author"]

    def clean(self):
        data = super().clean()
        stored = Cycle.objects.get(pk=self.instance.pk) if self.instance.pk else None
        if stored is not None and stored.is_frozen():
            changed = [name for name in Cycle.FROZEN_FIELDS if name in data and data[name] != getattr(stored, name)]
            if changed:
                raise ValidationError(
                    _("Voting has opened: the ballot rule, k, vote changes, eligibility and the counting rule are frozen.")
                )
        return data


class ImplementationForm(forms.ModelForm):
    class Meta:
        model = Implementation
        fields = ["status", "progress", "money_planned", "money_spent", "procurement_ref"]


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["date", "text", "photo"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}), "text": forms.Textarea(attrs={"rows": 3})}

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "size") and not getattr(photo, "_committed", False):
            kind = services.attachment_kind(photo)
            if kind == "pdf":
                raise ValidationError(_("A photo must be a JPG or PNG file."))
        return photo
