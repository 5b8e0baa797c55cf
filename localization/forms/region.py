from django import forms

from ..models import Region


class RegionContactForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["website", "focal_point", "contact_email"]
