"""Data flows: Open SDG import with progress, national indicator editing with history, value entry and upload by
akimat officers, verification by statistics officers, downloads (CSV in the Open SDG layout, XLSX).

Views stay thin: the work is in ``localization.services``; who may do what is decided by
``localization.permissions`` (``can_edit_region`` / ``is_statistics``) here and again in the services.
"""
from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jobs import runner

from ..core import safecells
from ..core.safecells import safe_row
from ..forms.data import DownloadForm, ImportForm, IndicatorForm, RegionFilterForm, UploadForm, ValueEntryForm, VerifyForm
from ..models import ImportRun, Indicator, IndicatorValue, Region, current_lang
from ..permissions import editable_regions, is_statistics, require_region_edit
from ..services import imports
from ..services import values as value_service
from ..search import search

#: A run still "running" after this long is considered dead (its thread stopped with the server).


def require_statistics(user) -> None:
    if not is_statistics(user):
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------------------------
# overview and downloads


def data_index(request):
    user = request.user
    regions = editable_regions(user, Region.objects.order_by("kato")) if user.is_authenticated else Region.objects.none()
    totals = IndicatorValue.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
    context = {
        "form": DownloadForm(initial={"format": "csv"}),
        "regions": regions,
        "is_statistics": is_statistics(user),
        "n_indicators": Indicator.objects.count(),
        "n_values": totals["n"],
        "n_unverified": IndicatorValue.objects.filter(status=IndicatorValue.Verification.UNVERIFIED).count(),
        "last_run": ImportRun.objects.filter(status=ImportRun.Status.DONE).order_by("-finished_at").first(),
    }
    return render(request, "localization/data/index.html", context)


def _attachment(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def data_download(request):
    """``?format=csv|xlsx&indicator=<code>&region=<kato>`` — both filters optional (everything by default)."""
    form = DownloadForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "regions": Region.objects.none(), "is_statistics": is_statistics(request.user),
                   "n_indicators": Indicator.objects.count(), "n_values": IndicatorValue.objects.count()}
        return render(request, "localization/data/index.html", context, status=400)
    fmt, indicator, region = form.cleaned_data["format"], form.cleaned_data["indicator"], form.cleaned_data["region"]
    suffix = f"_{region.ref_area}" if region else ""
    if indicator is not None:
        if fmt == "csv":
            return _attachment(value_service.indicator_csv(indicator, region), "text/csv; charset=utf-8",
                               f"indicator_{indicator.code}{suffix}.csv")
        return _attachment(value_service.workbook([indicator], region, current_lang()), XLSX, f"indicator_{indicator.code}{suffix}.xlsx")
    indicators = Indicator.objects.order_by("sort_key")
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        return _attachment(value_service.csv_zip(indicators, region), "application/zip", f"aimaq-sdg-data{suffix}-{stamp}.zip")
    return _attachment(value_service.workbook(indicators, region, current_lang()), XLSX, f"aimaq-sdg-data{suffix}-{stamp}.xlsx")


def data_download_indicator(request, code: str, fmt: str):
    """``/data/download/<code>.csv`` and ``.xlsx`` (``?region=<kato>`` optional): links from the indicator pages."""
    query = request.GET.copy()
    query["indicator"], query["format"] = code, fmt
    request.GET = query
    return data_download(request)


# ---------------------------------------------------------------------------------------------------------------
# import (statistics officers)


def _running_run():
    runner.reap()  # a run whose worker is gone is failed at once, so it blocks nothing
    return ImportRun.objects.filter(status=ImportRun.Status.RUNNING).first()


@login_required
def data_import(request):
    require_statistics(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        running = _running_run()
        if running is not None:
            messages.error(request, _("An import is already running; wait until it finishes."))
            return redirect("data_import_run", pk=running.pk)
        cleanup = None
        if form.cleaned_data["source"] == ImportForm.NATIONAL:
            root, source = imports.NATIONAL_REPOSITORY, imports.NATIONAL_SOURCE
        else:
            upload = form.cleaned_data["archive"]
            cleanup = Path(tempfile.mkdtemp(prefix="aimaq-import-", dir=imports.upload_dir()))
            try:
                root = imports.extract_archive(upload, cleanup)
            except imports.ArchiveError as exc:
                shutil.rmtree(cleanup, ignore_errors=True)
                form.add_error("archive", str(exc))
                return render(request, "localization/data/import.html", {"form": form, "runs": _recent_runs()})
            source = upload.name.replace("\\", "/").rsplit("/", 1)[-1][:300]
        run = ImportRun.objects.create(user=request.user, source=source)
        imports.start_import(run, root, cleanup=cleanup, duplicates=form.duplicates())
        return redirect("data_import_run", pk=run.pk)
    return render(request, "localization/data/import.html", {"form": form, "runs": _recent_runs()})


def _recent_runs():
    return ImportRun.objects.select_related("user").order_by("-started_at")[:15]


def _reap_if_running(run: ImportRun) -> None:
    """A running run whose worker is gone is failed (with the reason) before it is shown: one reaper pass."""
    if run.status == ImportRun.Status.RUNNING:
        runner.reap()
        run.refresh_from_db()


@login_required
def data_import_run(request, pk: int):
    require_statistics(request.user)
    run = get_object_or_404(ImportRun.objects.select_related("user"), pk=pk)
    _reap_if_running(run)  # first: a run whose worker is gone shows as failed
    warnings = imports.run_warnings(run)
    context = {
        "run": run,
        "running": run.status == ImportRun.Status.RUNNING,
        "errors": [imports.localize_error(e) for e in run.errors],
        "warnings": [imports.localize_error(w) for w in warnings],
        "imported": max(run.files_done - run.files_failed - run.files_unchanged, 0),
    }
    return render(request, "localization/data/import_run.html", context)


@login_required
def data_import_status(request, pk: int):
    require_statistics(request.user)
    run = get_object_or_404(ImportRun, pk=pk)
    _reap_if_running(run)
    return JsonResponse({
        "status": run.status,
        "running": run.status == ImportRun.Status.RUNNING,
        "files_total": run.files_total,
        "files_done": run.files_done,
        "files_failed": run.files_failed,
        "files_unchanged": run.files_unchanged,
        "rows_created": run.rows_created,
        "rows_updated": run.rows_updated,
        "rows_unchanged": run.rows_unchanged,
        "errors": len(run.errors),
    })


@login_required
def data_import_report(request, pk: int):
    """The full report of a run as plain text (one ``file:line: reason`` per line)."""
    require_statistics(request.user)
    run = get_object_or_404(ImportRun, pk=pk)
    lines = [f"# {run.source} — {run.get_status_display()}", *[imports.localize_error(e) for e in run.errors]]
    warnings = imports.run_warnings(run)
    if warnings:
        lines += ["", "# " + _("Warnings (rows repaired or skipped)"), *[imports.localize_error(w) for w in warnings]]
    return _attachment("\n".join(lines) + "\n", "text/plain; charset=utf-8", f"import-{run.pk}-report.txt")


# ---------------------------------------------------------------------------------------------------------------
# national indicator list (statistics officers)


@login_required
def data_indicator_edit(request, code: str):
    require_statistics(request.user)
    indicator = get_object_or_404(Indicator, code=code)
    form = IndicatorForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        indicator = form.instance
        indicator._change_reason = imports.clip_reason(form.cleaned_data["change_reason"])
        indicator._history_user = request.user
        form.save()
        if {"value_min", "value_max", "unit"} & set(form.changed_data):
            from ..services.provenance import flag_suspect

            flag_suspect([indicator])  # the bounds changed: re-flag the values outside them
        messages.success(request, _("Saved. The change is recorded in the history."))
        return redirect("data_indicator_history", code=indicator.code)
    return render(request, "localization/data/indicator_edit.html", {"indicator": indicator, "form": form})


@login_required
def data_indicator_history(request, code: str):
    require_statistics(request.user)
    indicator = get_object_or_404(Indicator, code=code)
    records = list(indicator.history.select_related("history_user").order_by("-history_date", "-history_id")[:200])
    rows = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = Indicator._meta.get_field(change.field)
                changes.append({"field": field.verbose_name, "old": change.old, "new": change.new})
        rows.append({"record": record, "changes": changes})
    return render(request, "localization/data/indicator_history.html", {"indicator": indicator, "rows": rows})


# ---------------------------------------------------------------------------------------------------------------
# values of a region (akimat officers: their region; statistics officers: any)


def _region_for_edit(request, kato: str) -> Region:
    region = get_object_or_404(Region, kato=kato)
    require_region_edit(request.user, region)
    return region


@login_required
def data_region_values(request, kato: str):
    region = _region_for_edit(request, kato)
    entered = (IndicatorValue.objects.filter(region=region, entered_by__isnull=False)
               .select_related("indicator", "entered_by", "verified_by").order_by("-updated_at")[:300])
    context = {"region": region, "values": entered, "rejected": value_service.rejected_values(region)}
    return render(request, "localization/data/region_values.html", context)


def _picker(request, region: Region, *, error: str = "", status: int = 200, upload: bool = False):
    """Step 1 of value entry and of an upload: a searchable list of the indicators (``?q=``, and filtered as one
    types); each links to step 2 on the same page (``?indicator=<code>``)."""
    query = request.GET.get("q", "").strip()[:100]
    indicators = search(Indicator.objects.select_related("goal").order_by("sort_key"), query)
    return render(request, "localization/data/value_picker.html", {
        "region": region, "indicators": indicators, "query": query, "error": error, "upload": upload}, status=status)


def _entry_form(indicator: Indicator | None, data=None):
    from ..services import labels

    initial = {"year": timezone.localdate().year - 1, "indicator": indicator.code if indicator else None}
    if indicator is None:
        return ValueEntryForm(data, initial=initial)
    return ValueEntryForm(data, initial=initial, indicator=indicator, units=labels.known_units(indicator),
                          dimensions=labels.known_disaggregation(indicator))


@login_required
def data_value_entry(request, kato: str):
    """Enter one value: pick the indicator (searchable list), then year, value, unit and disaggregation as fields."""
    region = _region_for_edit(request, kato)
    code = (request.POST.get("indicator") if request.method == "POST" else request.GET.get("indicator")) or ""
    indicator = Indicator.objects.filter(code=code).first() if code else None
    if indicator is None:
        if request.method == "POST" or code:
            return _picker(request, region, error=_("Choose an indicator from the list."))
        return _picker(request, region)
    form = _entry_form(indicator, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            value = value_service.enter_value(
                request.user, indicator=data["indicator"], region=region, year=data["year"], value=data["value"],
                unit=data["unit"], disaggregation=form.disaggregation, note=data["note"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Saved as unverified: %(indicator)s, %(year)s = %(value)s. A statistics officer will verify it.")
                             % {"indicator": value.indicator.dotted, "year": value.year, "value": f"{value.value:g}"})
            return redirect("data_region_values", kato=region.kato)
    return render(request, "localization/data/value_entry.html", {"region": region, "form": form, "indicator": indicator})


@login_required
def data_value_template(request, kato: str, code: str, fmt: str):
    """A file to fill in for one indicator and the region: the Open SDG layout the upload reads, one row per known
    disaggregation (Value left empty; rows left empty are skipped on upload)."""
    from ..services import labels

    region = _region_for_edit(request, kato)
    indicator = get_object_or_404(Indicator, code=code)
    dimensions = labels.known_disaggregation(indicator)
    units = labels.known_units(indicator)
    year = timezone.localdate().year - 1
    columns = ["Year"] + (["UNIT_MEASURE"] if units else []) + list(dimensions) + ["REF_AREA", "Value"]
    combos = [{}]
    seen = set(IndicatorValue.objects.filter(indicator=indicator).values_list("dims", flat=True).distinct())
    combos += [imports.parse_dims(d) for d in sorted(seen) if d]
    rows = [[str(year)] + ([units[0]] if units else []) + [combo.get(c, "") for c in dimensions] + [region.ref_area, ""]
            for combo in combos if set(combo) <= set(dimensions)]
    name = f"template_{indicator.code}_{region.ref_area or region.kato}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "data"
        sheet.append(columns)
        for row in rows:
            sheet.append(safe_row([int(row[0])] + row[1:]))
        buffer = io.BytesIO()
        book.save(buffer)
        return _attachment(buffer.getvalue(), XLSX, f"{name}.xlsx")
    out = io.StringIO()
    writer = safecells.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return _attachment(out.getvalue(), "text/csv; charset=utf-8", f"{name}.csv")


@login_required
def data_value_upload(request, kato: str):
    region = _region_for_edit(request, kato)
    code = (request.POST.get("indicator") if request.method == "POST" else request.GET.get("indicator")) or ""
    indicator = Indicator.objects.filter(code=code).first() if code else None
    if indicator is None:  # step 1: the searchable picker (no 274-option select)
        error = _("Choose an indicator from the list.") if request.method == "POST" or code else ""
        return _picker(request, region, error=error, upload=True)
    form = UploadForm(request.POST or None, request.FILES or None, initial={"indicator": indicator.code})
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = value_service.upload_values(request.user, indicator=form.cleaned_data["indicator"], region=region,
                                                 name=upload.name, data=upload.read())
        except value_service.UploadRejected as exc:
            report = exc.errors
            form.add_error("file", _("Nothing was imported: the file has %(n)s problem(s), listed below.") % {"n": len(exc.errors)})
        else:
            messages.success(request, _("Imported as unverified: %(created)s new, %(updated)s changed, %(unchanged)s unchanged values.")
                             % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged})
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("data_region_values", kato=region.kato)
    return render(request, "localization/data/value_upload.html",
                  {"region": region, "form": form, "report": report, "indicator": indicator})


# ---------------------------------------------------------------------------------------------------------------
# verification (statistics officers)


@login_required
def data_verification(request):
    require_statistics(request.user)
    filter_form = RegionFilterForm(request.GET or None)
    region = filter_form.cleaned_data["region"] if filter_form.is_valid() else None
    queue = value_service.awaiting_verification(request.user, region)
    context = {"filter_form": filter_form, "region": region, "values": queue[:500], "total": queue.count(),
               "verify_form": VerifyForm()}
    return render(request, "localization/data/verification.html", context)


@login_required
@require_POST
def data_value_verify(request, pk: int):
    require_statistics(request.user)
    value = get_object_or_404(IndicatorValue.objects.select_related("indicator", "region"), pk=pk)
    form = VerifyForm(request.POST)
    back = reverse("data_verification")
    region = request.POST.get("region", "")
    if region.isdigit():
        back += f"?region={region}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        if form.cleaned_data["action"] == "verify":
            value_service.verify_value(request.user, value, form.cleaned_data["reason"])
            messages.success(request, _("Verified: %(value)s.") % {"value": _describe(value)})
        else:
            value_service.reject_value(request.user, value, form.cleaned_data["reason"])
            messages.success(request, _("Rejected: %(value)s.") % {"value": _describe(value)})
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect(back)


def _describe(value: IndicatorValue) -> str:
    where = value.region.name if value.region_id else _("Kazakhstan")
    return f"{value.indicator.dotted}, {where}, {value.year} = {value.value:g}"

