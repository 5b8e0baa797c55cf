"""Shared by the write endpoints (values, regional targets): the region a user may change, form errors as API
errors, the fields of a JSON or form body, and the error schema."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers

from ..models import Region
from ..permissions import can_edit_region
from .territory import region_kato

ErrorSerializer = inline_serializer("Error", {"detail": serializers.CharField()})


def writable_region(user, kato) -> Region:
    """The region named by ``kato`` if ``user`` may change its data: 400 if unknown, 403 outside the user's scope."""
    region = Region.objects.filter(kato=region_kato(kato) or str(kato)).first()
    if region is None:
        raise exceptions.ValidationError({"region": [_("Unknown region: give its 9-digit KATO code.")]})
    if not can_edit_region(user, region):
        raise exceptions.PermissionDenied(_("You may not change the data of this region."))
    return region


def form_errors(form: forms.Form) -> exceptions.ValidationError:
    errors = {}
    for field, messages in form.errors.items():
        errors["non_field_errors" if field == "__all__" else field] = [str(m) for m in messages]
    return exceptions.ValidationError(errors)


def request_fields(request, names) -> dict:
    """The named fields of a JSON or form body as form data (JSON numbers kept; absent fields left out)."""
    data = request.data
    if not hasattr(data, "get"):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object or form fields.")]})
    out = {}
    for name in names:
        if name in data:
            value = data.get(name)
            if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
                raise exceptions.ValidationError({name: [_("Give a single value.")]})
            if isinstance(value, str) and "\x00" in value:
                raise exceptions.ValidationError({name: [_("Null characters are not allowed.")]})
            out[name] = "" if value is None else value
    return out
