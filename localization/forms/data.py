"""Forms of the data flows: import, national indicator edit, value entry and upload, verification, downloads."""
from django import forms
from django.utils.translation import gettext_lazy as _

from ..core.bounds import within_bounds
from ..core.progress import target_on_worsening_side
from ..models import DIRECTION_SIGN, GlobalIndicator, Indicator, Region, Target

MAX_ARCHIVE_UPLOAD = 50 * 1024 * 1024


class LocalizedFloatField(forms.FloatField):
    """Accepts a decimal comma as well as a point (``8,5`` and ``8.5``), and spaces between thousands.

    A text input with ``inputmode="decimal"``: a number input would refuse the decimal comma Kazakh and Russian
    users type.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        title = obj.title
        return f"{obj.dotted} {title[:110]}{'…' if len(title) > 110 else ''}"


def indicator_field(**kwargs) -> IndicatorChoiceField:
    return IndicatorChoiceField(
        queryset=Indicator.objects.order_by("sort_key"), label=_("Indicator"), to_field_name="code",
        error_messages={"invalid_choice": _("Choose an indicator from the list.")}, **kwargs
    )


class ImportForm(forms.Form):
    NATIONAL = "national"
    ARCHIVE = "archive"
    source = forms.ChoiceField(
        label=_("Data"),
        choices=[(NATIONAL, _("The national SDG platform data bundled with Aimaq (273 indicator files)")),
                 (ARCHIVE, _("A zip archive of an Open SDG data repository"))],
        initial=NATIONAL,
        widget=forms.RadioSelect,
    )
    archive = forms.FileField(
        label=_("Zip archive"), required=False,
        help_text=_("A .zip holding data/indicator_<id>.csv files (and optionally meta/ and translations/), at most 50 MB."),
    )
    strict = forms.BooleanField(
        label=_("Strict: refuse files with repeated rows"), required=False,
        help_text=_("The national platform's own files repeat some keys (year, area, disaggregation) and the "
                    "platform shows the first row. By default such files are imported the same way, with every "
                    "dropped row listed as a warning; tick to refuse them instead."),
    )

    def duplicates(self) -> str:
        """The reader's policy for a repeated key: keep the first row (default) or refuse the file (strict)."""
        return "error" if self.cleaned_data.get("strict") else "first"

    def clean(self):
        data = super().clean()
        archive = data.get("archive")
        if data.get("source") == self.ARCHIVE:
            if not archive:
                self.add_error("archive", _("Choose a zip archive to upload."))
            elif not archive.name.lower().endswith(".zip"):
                self.add_error("archive", _("The file must be a .zip archive."))
            elif archive.size > MAX_ARCHIVE_UPLOAD:
                self.add_error("archive", _("The archive is larger than 50 MB."))
        return data


class IndicatorForm(forms.ModelForm):
    series_breaks_text = forms.CharField(
        label=_("Series breaks"), required=False,
        help_text=_("Years in which the definition changed, separated by commas, e.g. 2015, 2019."),
    )
    change_reason = forms.CharField(
        label=_("Reason for the change"), max_length=90,
        help_text=_("Kept in the history with your name and the date."),
    )

    class Meta:
        model = Indicator
        fields = [
            "title_kk", "title_ru", "title_en", "targets", "global_indicator", "unit", "unit_kk", "unit_ru", "unit_en",
            "direction_kind", "category", "localized", "baseline_year", "baseline_value", "target_year", "target_value",
            "target_source", "limit", "value_min", "value_max", "responsible_body", "responsible_body_kk", "responsible_body_ru", "source",
            "source_kk", "source_ru", "direction_source", "headline_unit", "headline_series",
        ]
        widgets = {
            "title_kk": forms.Textarea(attrs={"rows": 2}),
            "title_ru": forms.Textarea(attrs={"rows": 2}),
            "title_en": forms.Textarea(attrs={"rows": 2}),
            "targets": forms.SelectMultiple(attrs={"size": 6}),
        }
        labels = {"global_indicator": _("Global indicator")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = Target.objects.order_by("sort_key")
        self.fields["global_indicator"].queryset = GlobalIndicator.objects.order_by("sort_key")
        self.fields["global_indicator"].label_from_instance = lambda obj: f"{obj.code} {obj.title[:100]}"
        self.fields["targets"].label_from_instance = lambda obj: obj.code
        for name in ("baseline_value", "target_value", "limit", "value_min", "value_max"):
            self.fields[name] = LocalizedFloatField(label=self.fields[name].label, required=False,
                                                    help_text=self.fields[name].help_text)
        if self.instance and self.instance.pk:
            self.fields["series_breaks_text"].initial = ", ".join(str(y) for y in self.instance.series_breaks or [])
        self.order_fields([*self.Meta.fields[:12], "series_breaks_text", *self.Meta.fields[12:], "change_reason"])

    def clean_series_breaks_text(self):
        text = self.cleaned_data.get("series_breaks_text", "")
        years = []
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 1950 <= int(part) <= 2100:
                raise forms.ValidationError(_("Write years such as 2015, separated by commas."))
            years.append(int(part))
        return sorted(set(years))

    def clean(self):
        data = super().clean()
        for name in ("baseline_year", "target_year"):
            year = data.get(name)
            if year is not None and not 1990 <= year <= 2100:
                self.add_error(name, _("The year must be between 1990 and 2100."))
        if data.get("baseline_year") and data.get("target_year") and data["target_year"] <= data["baseline_year"]:
            self.add_error("target_year", _("The target year must come after the baseline year."))
        if (data.get("baseline_year") is None) != (data.get("baseline_value") is None):
            self.add_error("baseline_value", _("Give both the baseline year and the baseline value, or neither."))
        if (data.get("target_year") is None) != (data.get("target_value") is None):
            self.add_error("target_value", _("Give both the target year and the target value, or neither."))
        low, high = data.get("value_min"), data.get("value_max")
        if low is not None and high is not None and low > high:
            self.add_error("value_max", _("The highest allowed value must not be below the lowest."))
        sign = DIRECTION_SIGN.get(data.get("direction_kind") or "")
        base, target = data.get("baseline_value"), data.get("target_value")
        if sign is not None and base is not None and target is not None and target_on_worsening_side(sign, base, target):
            self.add_error("target_value", _("The target lies on the worsening side of the baseline for this "
                                             "direction; a target must be an improvement."))
        bounds = Indicator(unit=data.get("unit", self.instance.unit), value_min=low, value_max=high).bounds
        if target is not None and not within_bounds(target, bounds):
            self.add_error("target_value", _("The target lies outside the indicator's bounds."))
        return data

    def save(self, commit=True):
        self.instance.series_breaks = self.cleaned_data.get("series_breaks_text", [])
        if "direction_kind" in self.changed_data:
            # A statistics officer's direction: never overwritten by the fixture (localization.services.provenance).
            self.instance.direction_source_kind = Indicator.DirectionSource.OFFICER
            if "direction_source" not in self.changed_data:
                self.instance.direction_source = self.cleaned_data.get("change_reason", "")[:500]
        return super().save(commit=commit)


class ValueEntryForm(forms.Form):
    """One value of one indicator (chosen beforehand in the picker and carried as a hidden field).

    The unit is chosen among the indicator's units and each disaggregation column the indicator's data uses is a
    select of its known codes (with their kk/ru/en labels), so nothing is typed as a code."""

    indicator = indicator_field(widget=forms.HiddenInput)
    year = forms.IntegerField(label=_("Year"))
    value = LocalizedFloatField(label=_("Value"))
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    note = forms.CharField(label=_("Source or comment"), required=False, max_length=80,
                           help_text=_("Where the figure comes from; kept in the history."))

    def __init__(self, *args, indicator=None, units=(), dimensions=None, **kwargs):
        from ..core import units as unit_catalogue
        from ..models import current_lang
        from ..services import labels

        super().__init__(*args, **kwargs)
        lang = current_lang()
        self.dimension_names = []
        choices = [(code, f"{unit_catalogue.label(code, lang) or code}") for code in units]
        if indicator is not None and not choices:
            choices = [("", indicator.unit_label or _("no unit"))]
        self.fields["unit"].choices = choices
        self.fields["unit"].initial = choices[0][0] if choices else ""
        for column, codes in (dimensions or {}).items():
            name = f"dim_{column}"
            self.fields[name] = forms.ChoiceField(
                label=labels.column_label(column, lang), required=False,
                choices=[("", _("total (not broken down)"))] + [(c, labels.code_label(column, c, lang)) for c in codes])
            self.dimension_names.append((column, name))

    @property
    def disaggregation(self) -> str:
        """The chosen codes as the service's text form (``SEX=F; URBANISATION=U``)."""
        return "; ".join(f"{column}={self.cleaned_data[name]}" for column, name in self.dimension_names
                         if self.cleaned_data.get(name))


class ApiValueForm(forms.Form):
    """One value through the write API: the unit and the disaggregation as codes (``SEX=F; URBANISATION=U``)."""

    indicator = indicator_field()
    year = forms.IntegerField(label=_("Year"))
    value = LocalizedFloatField(label=_("Value"))
    unit = forms.CharField(label=_("Unit code"), required=False, max_length=40,
                           help_text=_("Leave empty for the indicator's unit (e.g. PT for percent)."))
    disaggregation = forms.CharField(
        label=_("Disaggregation"), required=False, max_length=200,
        help_text=_("Optional, e.g. SEX=F; URBANISATION=U. Leave empty for the total."),
    )
    note = forms.CharField(label=_("Source or comment"), required=False, max_length=80,
                           help_text=_("Where the figure comes from; kept in the history."))


class UploadForm(forms.Form):
    indicator = indicator_field(widget=forms.HiddenInput)  # chosen beforehand in the searchable picker
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or XLSX in the Open SDG layout: Year, disaggregation columns, REF_AREA with your region's code, Value."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Only .csv and .xlsx files are accepted."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class VerifyForm(forms.Form):
    action = forms.ChoiceField(choices=[("verify", _("Verify")), ("reject", _("Reject"))], label=_("Decision"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=90)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", _("Give a reason for the rejection."))
        return data


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DownloadForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX")], initial="csv", required=False)
    indicator = indicator_field(required=False, empty_label=_("All indicators"))
    region = RegionChoiceField(
        queryset=Region.objects.order_by("kato"), to_field_name="kato", required=False, label=_("Region"),
        empty_label=_("All regions and the national level"),
        error_messages={"invalid_choice": _("Choose a region from the list.")},
    )

    def clean_format(self):
        return self.cleaned_data.get("format") or "csv"


class RegionFilterForm(forms.Form):
    region = RegionChoiceField(
        queryset=Region.objects.order_by("kato"), to_field_name="kato", required=False, label=_("Region"),
        empty_label=_("All regions"),
    )
