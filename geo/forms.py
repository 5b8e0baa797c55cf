from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from localization.models import District, Region

from . import services
from .models import RssObservation, RssStandard, Settlement

MAX_UPLOAD = 20 * 1024 * 1024


def _year_choices(years) -> list[tuple[str, str]]:
    return [(services.YEAR_LATEST, _("latest available year per region"))] + [(str(y), str(y)) for y in reversed(years)]


class MapForm(forms.Form):
    """What the NGO map shows. Every field has a default, so an empty query string is a valid map."""

    layer = forms.ChoiceField(label=_("Indicator or gap"))
    year = forms.CharField(label=_("Year"), required=False)
    classification = forms.ChoiceField(
        label=_("Classes"),
        choices=[("quantiles", _("quantiles")), ("natural_breaks", _("natural breaks (Jenks)"))],
        required=False,
    )
    level = forms.ChoiceField(label=_("Areas"), choices=[("region", _("regions")), ("district", _("districts"))],
                              required=False)
    settlements = forms.BooleanField(label=_("Show settlements"), required=False)
    region = forms.ChoiceField(label=_("Settlements of the region"), required=False)

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("layer", "poverty_gap_pp")
        super().__init__(data, *args, **kwargs)
        self.fields["layer"].choices = services.layer_choices()
        self.fields["region"].choices = [("", pgettext_lazy("geo", "all regions"))] + [(r.kato, r.name) for r in Region.objects.all()]

    def clean_year(self):
        year = (self.cleaned_data.get("year") or "").strip()
        if not year or year == services.YEAR_LATEST:
            return year or None
        if not year.isdigit() or not 1990 <= int(year) <= 2100:
            raise ValidationError(_("Choose a year from the list."))
        return int(year)

    def clean(self):
        data = super().clean()
        data["classification"] = data.get("classification") or "quantiles"
        level = data.get("level") or "region"
        if level == "district" and not services.district_layer_available(data.get("layer", "")):
            level = "region"
            self.level_note = _("District figures exist only for the RSS provision; the map shows regions.")
        data["level"] = level
        return data


class GapsFilterForm(forms.Form):
    q = forms.CharField(label=_("Region name contains"), required=False, max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("all")), ("oblast", _("regions (oblasts)")), ("city", _("cities"))])
    has = forms.ChoiceField(label=_("With data on"), required=False,
                            choices=[("", _("any")), ("poverty", _("poverty")), ("gasification", _("gasification")),
                                     ("rss", _("RSS provision"))])
    year = forms.CharField(label=_("Year"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    dir = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")], widget=forms.HiddenInput)

    def clean_year(self):
        year = (self.cleaned_data.get("year") or "").strip()
        if not year or year == services.YEAR_LATEST:
            return services.YEAR_LATEST
        if not year.isdigit():
            raise ValidationError(_("Choose a year from the list."))
        return int(year)


class SettlementFilterForm(forms.Form):
    q = forms.CharField(label=_("Name contains"), required=False, max_length=60)
    district = forms.ChoiceField(label=_("District"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)

    def __init__(self, region, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("all"))] + [(d.kato, d.name) for d in District.objects.filter(region=region)]
        self.fields["type"].choices = [("", _("all"))] + list(Settlement.Type.choices)


class SettlementImportForm(forms.Form):
    file = forms.FileField(
        label=_("Settlement registry (CSV)"),
        help_text=_("Columns: name_kk, name_ru, name_en (or name), type (city, town, village, hamlet…), population, "
                    "lat, lon, and optionally region_kato (the declared region), osm_id, source. UTF-8, comma or "
                    "semicolon separated. Up to 20 MB."),
    )
    source = forms.CharField(label=_("Source of the registry"), max_length=250, required=False,
                             help_text=_("Who published the list and when; stored with every settlement."))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD:
            raise ValidationError(_("The file is larger than 20 MB."))
        if not f.name.lower().endswith((".csv", ".txt")):
            raise ValidationError(_("Upload a .csv file."))
        return f


class RssObservationForm(forms.ModelForm):
    met = forms.TypedChoiceField(label=_("Standard met"), choices=[("1", _("yes")), ("0", _("no"))],
                                 coerce=lambda v: v == "1", widget=forms.RadioSelect)

    class Meta:
        model = RssObservation
        fields = ["standard", "year", "met", "source"]
        help_texts = {"source": _("The document or survey this comes from (required).")}

    def __init__(self, settlement: Settlement, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.settlement = settlement
        ids = [s.pk for s in RssStandard.objects.filter(is_example=False) if s.applies_to(settlement.type)]
        self.fields["standard"].queryset = RssStandard.objects.filter(pk__in=ids)
        self.fields["standard"].label = _("RSS standard")
        self.fields["year"].widget.attrs.update({"min": 2019, "max": 2100})

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not 2019 <= year <= 2100:
            raise ValidationError(_("The RSS exists since 2019."))
        return year


class RssStandardForm(forms.ModelForm):
    settlement_types = forms.MultipleChoiceField(
        label=_("Applies to settlement types"), choices=Settlement.Type.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = RssStandard
        fields = ["code", "name_kk", "name_ru", "name_en", "settlement_types", "is_example", "source"]

    def clean(self):
        data = super().clean()
        if not data.get("is_example") and not (data.get("source") or "").strip():
            self.add_error("source", _("An official standard needs its source (the legal act)."))
        return data
