"""Forms of the indicator pages: list filters, comparison, decomposition, akimat proposals and their review."""
from __future__ import annotations

import math

from django import forms
from django.utils.translation import gettext_lazy as _

from ..core.decomposition import RULES

RULE_LABELS = {
    "uniform": _("R1 Uniform: every region gets the national target"),
    "relative": _("R2 Equal relative change: T = x · T_N / X_N"),
    "gap_closure": _("R3 Equal gap closure towards an end value E"),
    "convergence": _("R4 Convergence: close a share γ of the gap to the national level"),
    "rescale_proposals": _("R5 Rescale the akimats' proposals to add up to the national target"),
    "unserved_counts": _("R6 Counts: share the units still to serve (households, settlements) by unserved stock"),
}
YES_NO = [("", _("any")), ("1", _("yes")), ("0", _("no"))]


class FiniteFloatField(forms.FloatField):
    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and not math.isfinite(number):
            raise forms.ValidationError(_("Enter a finite number."), code="invalid")
        return number


class IndicatorFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=_(
        "Goal number, code (1.2.1) or words of the title in Kazakh, Russian or English."))
    goal = forms.TypedChoiceField(label=_("Goal"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[
        ("", _("any")), ("current", _("Current")), ("monitoring", _("Monitoring"))])
    localized = forms.ChoiceField(label=_("Localized"), required=False, choices=YES_NO)
    regional = forms.ChoiceField(label=_("Has regional data"), required=False, choices=YES_NO)

    def __init__(self, *args, goals=(), recorded=("category", "localized"), **kwargs):
        """``recorded``: the attributes some indicator has been given; a filter on one nobody has recorded would
        only ever find nothing, so it is not offered (the page says why)."""
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = [("", _("all goals"))] + [(g.number, f"{g.number}. {g.short}") for g in goals]
        for name in ("category", "localized"):
            if name not in recorded:
                del self.fields[name]


class CompareForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"))
    region = forms.ChoiceField(label=_("Region"))
    peers = forms.ChoiceField(label=_("Compare with"), choices=[
        ("all", _("all regions")), ("kind", _("regions of the same kind (oblasts or cities)"))], initial="all")

    def __init__(self, *args, indicators=(), regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(i.code, f"{i.dotted} {i.title}"[:140]) for i in indicators]
        self.fields["region"].choices = [(r.kato, r.name) for r in regions]


class DecompositionForm(forms.Form):
    rule = forms.ChoiceField(label=_("Rule"), choices=[(r, RULE_LABELS[r]) for r in RULES])
    base_year = forms.TypedChoiceField(label=_("Base year"), coerce=int)
    national_target = FiniteFloatField(label=_("National target T_N"))
    target_year = forms.IntegerField(label=_("Target year"), min_value=2000, max_value=2100)
    end_value = FiniteFloatField(label=_("End value E (rules R3 and R6: full coverage, e.g. 100 or 0)"), required=False)
    gamma = FiniteFloatField(label=_("Share γ of the gap closed (rule R4, 0 to 1)"), required=False,
                             min_value=0, max_value=1)
    weight_kind = forms.ChoiceField(label=_("Weights"), choices=[
        ("population", _("population of the region")),
        ("indicator", _("values of another indicator (the denominator)"))], initial="population")
    weight_indicator = forms.ChoiceField(label=_("Indicator used as weights"), required=False)
    clamp = forms.BooleanField(label=_("No region may regress (non-regression clamp)"), required=False, initial=True)
    milestone_kind = forms.ChoiceField(label=_("Annual milestones"), choices=[
        ("linear", _("straight line")), ("cagr", _("constant annual growth rate"))], initial="linear")
    confirm_low_coverage = forms.BooleanField(
        label=_("Approve although few regions have a base value"), required=False,
        help_text=_("Only needed when fewer than three quarters of the regions take part in the base year."))
    coverage_reason = forms.CharField(label=_("Reason for approving with low coverage"), required=False,
                                      max_length=300)

    def __init__(self, *args, base_years=(), weight_indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_year"].choices = [(y, y) for y in base_years]
        self.fields["weight_indicator"].choices = [("", "—")] + [
            (i.code, f"{i.dotted} {i.title}"[:140]) for i in weight_indicators]

    def clean(self):
        data = super().clean()
        rule = data.get("rule")
        if rule == "gap_closure" and data.get("end_value") is None:
            self.add_error("end_value", _("Rule R3 needs an end value E."))
        if rule == "unserved_counts" and data.get("end_value") is None:
            self.add_error("end_value", _("Rule R6 needs the full-coverage value E."))
        if rule == "convergence" and data.get("gamma") is None:
            self.add_error("gamma", _("Rule R4 needs the share γ."))
        if data.get("weight_kind") == "indicator" and not data.get("weight_indicator"):
            self.add_error("weight_indicator", _("Choose the indicator whose values are the weights."))
        base, target = data.get("base_year"), data.get("target_year")
        if base and target and target <= base:
            self.add_error("target_year", _("The target year must come after the base year."))
        return data


class ProposalForm(forms.Form):
    base_year = forms.TypedChoiceField(label=_("Base year"), coerce=int)
    target_value = FiniteFloatField(label=_("Proposed target value"))
    target_year = forms.IntegerField(label=_("Target year"), min_value=2000, max_value=2100, initial=2030)
    reason = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                             help_text=_("Why this target is realistic and ambitious for the region."))

    def __init__(self, *args, base_years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_year"].choices = [(y, y) for y in base_years]

    def clean(self):
        data = super().clean()
        base, target = data.get("base_year"), data.get("target_year")
        if base and target and target <= base:
            self.add_error("target_year", _("The target year must come after the base year."))
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=90)

