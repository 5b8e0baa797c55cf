"""Indicator pages: national list, indicator page, region dashboard, comparison, targets and the VLR draft.

Views stay thin: statuses come from :mod:`localization.services.status` (one :class:`StatusBoard` per request,
a constant number of queries whatever the amount of data), targets from :mod:`localization.services.decomposition`,
charts from :mod:`localization.services.charts` and the VLR from :mod:`localization.services.vlr`.
"""
from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..citations import shared as shared_citation
from ..core import coverage, units
from ..core.decomposition import DecompositionError
from ..forms.indicators import RULE_LABELS, CompareForm, DecompositionForm, IndicatorFilterForm, ProposalForm, ReviewForm
from ..models import Goal, Indicator, IndicatorValue, Region, RegionalTarget, current_lang
from ..permissions import can_edit_region, is_officer, is_statistics
from ..reference import approved_list_composition
from ..search import matches_query
from ..services import decomposition as targets_service
from ..services.charts import ChartSeries, TargetMark, line_chart
from ..services.status import StatusBoard, regions_phrase, summary_of
from ..services.vlr import build_vlr


def _regional_exists():
    return Exists(IndicatorValue.objects.filter(indicator=OuterRef("pk"), region__isnull=False))


def _preview(request) -> bool:
    """Officers (akimat, statistics, administrators) see a marked preview that includes unverified values;
    everyone else sees statuses computed from verified and official values only. ``?preview=0`` shows the
    public view to an officer."""
    return is_officer(request.user) and request.GET.get("preview") != "0"


def _unit(indicator: Indicator, headline) -> str:
    """The unit of the headline series: the indicator's translated unit, or the data's unit code if they differ."""
    if headline and headline[0] and headline[0] != indicator.unit:
        return units.label(headline[0], current_lang()) or headline[0]
    return indicator.unit_label


class _CoverageRefused(Exception):
    """Too few regions take part in the base year and the officer has not confirmed (see _coverage_error)."""


def _error_message(exc: Exception):
    """A DecompositionError as a form error: a translated lead-in and the detail (English when it comes from the core)."""
    return format_html("{} {}", _("The targets cannot be computed:"), str(exc))


def _optional_url(name: str, **kwargs) -> str | None:
    """The URL of a page of the data layer (urls/data.py) if it exists, else None (then the link is left out)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def _download_links(indicator: Indicator, region: Region | None = None) -> list[dict]:
    """Links to the data downloads of the data layer (``data_download`` / ``data_download_xlsx``), if present."""
    links = []
    query = f"?region={region.kato}" if region is not None else ""
    for name, label in (("data_download", _("Download the data (CSV)")),
                        ("data_download_xlsx", _("Download the data (Excel)"))):
        url = _optional_url(name, code=indicator.code)
        if url:
            links.append({"url": url + query, "label": label})
    return links


# --------------------------------------------------------------------------------------------- list


def indicator_list(request):
    """The national list, grouped by goal (one collapsible section per goal; issue 12: light enough for a phone).

    Without a filter the page lists the 17 goals with their counts and statuses, each opening to its indicators
    (``?goal=N``; the script loads them in place). With a search (``?q=``) or a filter, the goals holding a match
    are open with their matching indicators. ``?partial=1`` returns only the results (the script's live search)."""
    goals = list(Goal.objects.all())
    qs = Indicator.objects.select_related("goal").annotate(has_regional=_regional_exists()).order_by("sort_key")
    counts = Indicator.objects.aggregate(
        total=Count("pk"), current=Count("pk", filter=Q(category="current")),
        monitoring=Count("pk", filter=Q(category="monitoring")), localized=Count("pk", filter=Q(localized=True)),
        regional=Count("pk", filter=Q(_regional_exists())))
    # The national platform does not publish which indicators are "current" or "monitoring", nor which are
    # localized: until a statistics officer records it, the counts are "no data", not 0 (and not filters).
    recorded = [name for name, n in (("category", counts["current"] + counts["monitoring"]),
                                     ("localized", counts["localized"])) if n]
    form = IndicatorFilterForm(request.GET or None, goals=goals, recorded=recorded)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("goal"):
        qs = qs.filter(goal__number=data["goal"])
    if data.get("category"):
        qs = qs.filter(category=data["category"])
    if data.get("localized") in ("0", "1"):
        qs = qs.filter(localized=data["localized"] == "1")
    if data.get("regional") in ("0", "1"):
        qs = qs.filter(has_regional=data["regional"] == "1")
    indicators = list(qs)
    query = (data.get("q") or "").strip()
    if query:
        indicators = [i for i in indicators if matches_query(i, query)]
    board = StatusBoard(indicators, regions=[])
    rows = [{"indicator": i, "national": board.national(i)} for i in indicators]
    filtered = any(data.get(name) not in (None, "") for name in ("q", "goal", "category", "localized", "regional"))
    expanded = filtered and (bool(data.get("goal")) or len(rows) <= MAX_OPEN_ROWS)
    groups = _goal_groups(goals, rows, board, filtered=filtered, expanded=expanded, params=request.GET)
    context = {
        "form": form, "rows": rows, "groups": groups, "filtered": filtered, "expanded": expanded,
        "chosen_goal": data.get("goal"),
        "goals": goals, "counts": counts, "shown": len(rows), "query": query, "recorded": recorded,
        "published": approved_list_composition(),
        "summary": board.national_summary(), "is_statistics": is_statistics(request.user),
    }
    if request.GET.get("partial") == "1":
        return render(request, "localization/indicators/_list_results.html", context)
    return render(request, "localization/indicators/list.html", context)


#: A search or filter matching more indicators than this (over several goals) lists its goals closed, as the
#: unfiltered page does: a phone should not receive 200 KB for a one-letter search.
MAX_OPEN_ROWS = 60


def _goal_groups(goals, rows, board: StatusBoard, *, filtered: bool, expanded: bool, params) -> list[dict]:
    """One section per goal: with a search or filter only the goals holding a match. An expanded section holds its
    rows; a closed one its count, its statuses and the query of its own page (``?goal=N`` and the filters), which
    the script loads when the section is opened."""
    by_goal = defaultdict(list)
    for row in rows:
        by_goal[row["indicator"].goal_id].append(row)
    groups = []
    for goal in goals:
        members = by_goal.get(goal.pk, [])
        if filtered and not members:
            continue
        query = params.copy()
        query.pop("partial", None)
        query["goal"] = str(goal.number)
        summary = board.national_summary([r["indicator"] for r in members])
        groups.append({"goal": goal, "count": len(members), "open": expanded, "rows": members if expanded else [],
                       "statuses": [item for item in summary["items"] if item["count"]], "query": query.urlencode()})
    return groups


# --------------------------------------------------------------------------------------------- indicator page


def _national_chart(indicator: Indicator, national, unit: str):
    targets = []
    if indicator.target_value is not None:
        base_point = national.base_point
        targets.append(TargetMark(
            label=_("National target"), target_year=indicator.target_year or 2030, target_value=indicator.target_value,
            base_year=base_point.year if base_point else None, base_value=base_point.value if base_point else None))
    return line_chart([ChartSeries(_("Kazakhstan"), national.series, "national")],
                      title=_("%(code)s, Kazakhstan: values by year") % {"code": indicator.dotted},
                      unit=unit, targets=targets, breaks=national.breaks)


def _regional_chart(indicator: Indicator, national, regional_rows, unit: str, highlight=None):
    series = [ChartSeries(r.region.name, r.series, "region" if highlight and r.region.pk == highlight.pk else "peer")
              for r in regional_rows if r.has_data]
    series.append(ChartSeries(_("Kazakhstan"), national.series, "national"))
    targets = []
    if highlight is not None:
        hl = next((r for r in regional_rows if r.region.pk == highlight.pk), None)
        if hl is not None and hl.target_value is not None:
            base = hl.base_point
            label = _("Regional target") if hl.target_kind == "regional" else _("National target")
            targets.append(TargetMark(label=label, target_year=hl.target_year, target_value=hl.target_value,
                                      base_year=base.year if base else None, base_value=base.value if base else None))
        title = _("%(code)s: %(region)s compared with Kazakhstan and other regions") % {
            "code": indicator.dotted, "region": highlight.name}
    else:
        title = _("%(code)s: regions compared with Kazakhstan") % {"code": indicator.dotted}
    return line_chart(series, title=title, unit=unit, targets=targets, breaks=national.breaks)


def _regional_table(board: StatusBoard, indicator: Indicator, rows, user):
    return [{"row": r, "gap": board.gap(indicator, r.region), "can_propose": can_edit_region(user, r.region)}
            for r in rows]


def _decomposition_context(indicator: Indicator, board: StatusBoard, regional_rows):
    # The decomposition in force (one per indicator); without one, the latest run is shown, marked not in force.
    latest = (targets_service.decomposition_in_force(indicator)
              or indicator.decompositions.select_related("created_by").order_by("-created_at", "-pk").first())
    table = targets_service.decomposition_table(latest) if latest else None
    if table:
        for row in table["rows"]:  # the source of each base value, from the stored data
            point = next((p for p in board.points(indicator, row["region"]) if p.year == latest.base_year), None)
            row["base_source"] = point.source if point and point.value == row["base"] else ""
    in_force = [(r.regional_target.weight, r.regional_target.target_value)
                for r in regional_rows if r.regional_target is not None]
    check_in_force = targets_service.consistency(in_force)
    if check_in_force is not None and indicator.target_value is not None:
        check_in_force["national_target"] = indicator.target_value
        check_in_force["difference"] = check_in_force["result"] - indicator.target_value
    return {
        "decomposition": latest, "table": table, "rule_label": RULE_LABELS.get(latest.rule, latest.rule) if latest else "",
        "check_in_force": check_in_force, "n_in_force": len(in_force),
    }


def _base_years(board: StatusBoard, indicator: Indicator) -> list[int]:
    years = {p.year for region in board.regions for p in board.points(indicator, region)}
    return sorted(years, reverse=True)


def _default_base_year(board: StatusBoard, indicator: Indicator) -> int | None:
    """The latest year with a value for every region (else the best-covered year): see localization.core.coverage."""
    years = {region.pk: [p.year for p in board.points(indicator, region)] for region in board.regions}
    return coverage.default_base_year(years, len(board.regions))


def _coverage_error(inputs, data) -> str | None:
    """Refuse a decomposition in which too few regions take part, unless the officer confirms with a reason."""
    included, total = len(inputs.regions) - len(inputs.excluded), len(inputs.regions)
    if not coverage.below_threshold(included, total):
        return None
    if data.get("confirm_low_coverage") and (data.get("coverage_reason") or "").strip():
        return None
    return _("Only %(n)s of %(total)s regions have a base value in %(year)s, fewer than three quarters: the others "
             "would get no target. Choose a year with better coverage, or tick the confirmation and give a reason."
             ) % {"n": included, "total": total, "year": inputs.base_year}


def _decomposition_form(indicator: Indicator, board: StatusBoard, data=None):
    base_years = _base_years(board, indicator)
    weight_indicators = (Indicator.objects.filter(_regional_exists()).exclude(pk=indicator.pk).order_by("sort_key")
                         .only("code", "title_kk", "title_ru", "title_en", "sort_key"))
    initial = {"base_year": _default_base_year(board, indicator),
               "national_target": indicator.target_value, "target_year": indicator.target_year or 2030,
               "clamp": True, "weight_kind": "population", "milestone_kind": "linear", "rule": "relative"}
    return DecompositionForm(data, initial=initial, base_years=base_years, weight_indicators=weight_indicators)


def _row_points(rows):
    """The values a table of status rows shows: each row's base and latest point (for its shared citation)."""
    return (p for r in rows for p in (r.base_point, r.latest))


def _detail_context(request, indicator: Indicator, *, form=None):
    board = StatusBoard([indicator], preview=_preview(request))
    national = board.national(indicator)
    regional_rows = board.across_regions(indicator)
    headline = board.headline(indicator)
    unit = _unit(indicator, headline)
    summary = board.regional_summary(indicator)
    can_run = is_statistics(request.user)
    if can_run and form is None:
        form = _decomposition_form(indicator, board)
    proposals = list(targets_service.pending_proposals(indicator)) if request.user.is_authenticated else []
    own_region = None
    if request.user.is_authenticated and request.user.role == "akimat" and request.user.region_id:
        own_region = board.region_by_id.get(request.user.region_id)
    return {
        "indicator": indicator, "sdg_targets": list(indicator.targets.all()), "national": national,
        "national_points": list(reversed(national.points)), "national_source": shared_citation(national.points),
        "regional": _regional_table(board, indicator, regional_rows, request.user),
        "regional_source": shared_citation(_row_points(regional_rows)),
        "summary": summary, "regions_phrase": regions_phrase(summary), "headline": headline, "unit": unit,
        "national_chart": _national_chart(indicator, national, unit),
        "regional_chart": _regional_chart(indicator, national, regional_rows, unit),
        "can_run": can_run, "form": form, "proposals": proposals, "own_region": own_region,
        "downloads": _download_links(indicator),
        "edit_url": _optional_url("data_indicator_edit", code=indicator.code) if can_run else None,
        **_decomposition_context(indicator, board, regional_rows), "preview": board.preview,
    }


def indicator_detail(request, code):
    indicator = get_object_or_404(Indicator.objects.select_related("goal", "global_indicator"), code=code)
    return render(request, "localization/indicators/detail.html", _detail_context(request, indicator))


@login_required
def indicator_decompose(request, code):
    """Statistics officers: run a decomposition (GET shows the form with the inputs; POST stores the targets)."""
    indicator = get_object_or_404(Indicator.objects.select_related("goal"), code=code)
    if not is_statistics(request.user):
        raise PermissionDenied
    weight_indicator = None
    board = StatusBoard([indicator])
    form = _decomposition_form(indicator, board, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["weight_kind"] == "indicator":
            weight_indicator = Indicator.objects.filter(code=data["weight_indicator"]).first()
        try:
            checked = targets_service.gather_inputs(
                indicator, data["base_year"], data["weight_kind"], weight_indicator,
                **({} if weight_indicator is not None else {"board": board}))
            refusal = _coverage_error(checked, data)
            if refusal:
                raise _CoverageRefused(refusal)
            decomposition = targets_service.run_decomposition(
                indicator, user=request.user, rule=data["rule"], base_year=data["base_year"],
                target_year=data["target_year"], national_target=data["national_target"],
                weight_kind=data["weight_kind"], weight_indicator=weight_indicator, end_value=data.get("end_value"),
                gamma=data.get("gamma"), clamp=data.get("clamp", False), milestone_kind=data["milestone_kind"])
        except _CoverageRefused as exc:
            form.add_error("confirm_low_coverage", str(exc))
        except DecompositionError as exc:
            form.add_error(None, _error_message(exc))
        else:
            reason = (data.get("coverage_reason") or "").strip()
            if coverage.below_threshold(len(checked.regions) - len(checked.excluded), len(checked.regions)) and reason:
                decomposition.params = {**(decomposition.params or {}), "low_coverage_reason": reason}
                decomposition.save(update_fields=["params"])
            messages.success(request, _("Regional targets computed and approved (decomposition no. %(n)s).")
                             % {"n": decomposition.pk})
            return redirect(reverse("ind_detail", kwargs={"code": indicator.code}) + "#decomposition")
    # The inputs for the chosen (or latest) base year, so the officer sees which regions take part.
    years = _base_years(board, indicator)
    base_year, inputs = None, None
    if form.is_bound and form.is_valid():
        base_year = form.cleaned_data["base_year"]
    elif request.GET.get("base_year", "").isdigit() and int(request.GET["base_year"]) in years:
        base_year = int(request.GET["base_year"])
    elif years:
        base_year = _default_base_year(board, indicator) or years[0]
    if base_year is not None:
        try:
            if weight_indicator is not None:
                inputs = targets_service.gather_inputs(indicator, base_year, "indicator", weight_indicator)
            else:
                inputs = targets_service.gather_inputs(indicator, base_year, board=board)
        except DecompositionError:
            inputs = None
    included = len(inputs.regions) - len(inputs.excluded) if inputs else 0
    total = len(inputs.regions) if inputs else 0
    return render(request, "localization/indicators/decompose.html", {
        "indicator": indicator, "form": form, "inputs": inputs, "base_year": base_year,
        "coverage": {"included": included, "total": total, "low": coverage.below_threshold(included, total)},
        "national_point": inputs.national_point if inputs else None,
    })


# --------------------------------------------------------------------------------------------- targets workflow


@login_required
def target_propose(request, code, kato):
    """An akimat officer proposes its region's target (only for its own region: can_edit_region)."""
    indicator = get_object_or_404(Indicator.objects.select_related("goal"), code=code)
    region = get_object_or_404(Region, kato=kato)
    if not can_edit_region(request.user, region):
        raise PermissionDenied
    board = StatusBoard([indicator], regions=[region])
    points = board.points(indicator, region)
    base_years = sorted((p.year for p in points), reverse=True)
    pending = RegionalTarget.objects.filter(indicator=indicator, region=region,
                                            status=RegionalTarget.Status.PROPOSED).order_by("-updated_at").first()
    initial = {"base_year": _default_base_year(board, indicator), "target_year": indicator.target_year or 2030}
    if pending:
        initial.update(base_year=pending.base_year, target_value=pending.target_value,
                       target_year=pending.target_year, reason=pending.reason)
    form = ProposalForm(request.POST if request.method == "POST" else None, initial=initial, base_years=base_years)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            targets_service.propose_target(indicator, region, user=request.user, base_year=data["base_year"],
                                           target_value=data["target_value"], target_year=data["target_year"],
                                           reason=data["reason"])
        except DecompositionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your proposal was sent to the statistics office for approval."))
            return redirect("ind_region", kato=region.kato)
    row = board.regional(indicator, region)
    history = list(RegionalTarget.history.filter(indicator_id=indicator.pk, region_id=region.pk)
                   .select_related("history_user").order_by("-history_date", "-history_id")[:30])
    return render(request, "localization/indicators/propose.html", {
        "indicator": indicator, "region": region, "form": form, "row": row, "points": list(reversed(points)),
        "in_force": board.target_in_force(indicator, region), "pending": pending, "history": history,
    })


def _review_rows(forms_by_pk=None):
    forms_by_pk = forms_by_pk or {}
    proposals = list(targets_service.pending_proposals())
    indicators = {p.indicator_id: p.indicator for p in proposals}
    regions = {p.region_id: p.region for p in proposals}
    board = StatusBoard(list(indicators.values()), regions=list(regions.values()))
    rows = []
    for p in proposals:
        latest = board.points(p.indicator, p.region)
        rows.append({"proposal": p, "latest": latest[-1] if latest else None,
                     "in_force": board.target_in_force(p.indicator, p.region),
                     "form": forms_by_pk.get(p.pk) or ReviewForm(prefix=f"p{p.pk}")})
    return rows


@login_required
def target_review(request):
    """Statistics officers: pending akimat proposals with approve / reject."""
    if not is_statistics(request.user):
        raise PermissionDenied
    return render(request, "localization/indicators/review.html", {"rows": _review_rows()})


@login_required
@require_POST
def target_review_one(request, pk):
    if not is_statistics(request.user):
        raise PermissionDenied
    target = get_object_or_404(RegionalTarget.objects.select_related("indicator", "region"), pk=pk)
    form = ReviewForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            targets_service.review_target(target, user=request.user, approve=form.cleaned_data["decision"] == "approve",
                                          comment=form.cleaned_data["comment"])
        except DecompositionError as exc:
            messages.error(request, str(exc))
        else:
            if target.status == RegionalTarget.Status.APPROVED:
                messages.success(request, _("Target approved: %(region)s, %(code)s.") % {
                    "region": target.region.name, "code": target.indicator.dotted})
            else:
                messages.success(request, _("Proposal rejected: %(region)s, %(code)s.") % {
                    "region": target.region.name, "code": target.indicator.dotted})
        return redirect("ind_review")
    return render(request, "localization/indicators/review.html", {"rows": _review_rows({pk: form})})


# --------------------------------------------------------------------------------------------- region dashboard


def region_indicators(request, kato):
    region = get_object_or_404(Region, kato=kato)
    goals = list(Goal.objects.all())
    board = StatusBoard(Indicator.objects.select_related("goal"), regions=[region], preview=_preview(request))
    rows = board.for_region(region)
    with_data = [r for r in rows if r.has_data]
    by_goal = defaultdict(list)
    for r in with_data:
        by_goal[r.indicator.goal_id].append(r)
    goal_cards = []
    for goal in goals:
        goal_rows = by_goal.get(goal.pk, [])
        goal_cards.append({"goal": goal, "n": len(goal_rows), "summary": summary_of(goal_rows)})
    localized = [{"row": r, "gap": board.gap(r.indicator, region)} for r in rows if r.indicator.localized]
    others = [{"row": r, "gap": board.gap(r.indicator, region)} for r in with_data if not r.indicator.localized]
    gaps = []
    for r in with_data:
        gap = board.gap(r.indicator, region)
        if gap is not None:
            gaps.append({"row": r, "gap": gap})
    return render(request, "localization/indicators/region.html", {
        "preview": board.preview,
        "region": region, "goal_cards": goal_cards, "localized": localized, "others": others, "gaps": gaps,
        "localized_source": shared_citation(_row_points(i["row"] for i in localized)),
        "others_source": shared_citation(_row_points(i["row"] for i in others)),
        "summary": summary_of(with_data), "n_with_data": len(with_data), "n_indicators": len(rows),
        "can_propose": can_edit_region(request.user, region),
        "values_url": _optional_url("data_region_values", kato=region.kato)
        if can_edit_region(request.user, region) else None,
    })


# --------------------------------------------------------------------------------------------- comparison


def compare(request):
    indicators = list(Indicator.objects.filter(_regional_exists()).select_related("goal").order_by("sort_key"))
    regions = list(Region.objects.all())
    data = request.GET.copy()
    if indicators and regions:
        data.setdefault("indicator", indicators[0].code)
        own = getattr(request.user, "region_id", None)
        data.setdefault("region", next((r.kato for r in regions if r.pk == own), regions[0].kato))
        data.setdefault("peers", "all")
    form = CompareForm(data if indicators else None, indicators=indicators, regions=regions)
    context = {"form": form, "indicator": None}
    if indicators and form.is_valid():
        indicator = next(i for i in indicators if i.code == form.cleaned_data["indicator"])
        region = next(r for r in regions if r.kato == form.cleaned_data["region"])
        peers_kind = form.cleaned_data["peers"]
        peer_regions = [r for r in regions if r.pk != region.pk and (peers_kind == "all" or r.kind == region.kind)]
        board = StatusBoard([indicator], regions=[region] + peer_regions)
        national = board.national(indicator)
        mine = board.regional(indicator, region)
        peer_rows = [board.regional(indicator, r) for r in peer_regions]
        headline = board.headline(indicator)
        unit = _unit(indicator, headline)
        years = sorted(set(mine.series) | set(national.series))
        year_rows = [{"year": y, "region": mine.point(y), "national": national.point(y)} for y in years]
        all_years = sorted({p.year for r in [mine, *peer_rows] for p in r.points})
        matrix = [{"row": r, "cells": [r.point(y) for y in all_years]} for r in [mine, *peer_rows]]
        group = [mine, *peer_rows]
        context.update({
            "indicator": indicator, "region": region, "peers_kind": peers_kind, "national": national, "mine": mine,
            "peer_rows": [{"row": r, "gap": board.gap(indicator, r.region)} for r in peer_rows],
            "gap": board.gap(indicator, region), "year_rows": year_rows, "all_years": all_years, "matrix": matrix,
            "unit": unit, "group_summary": summary_of(group), "group_phrase": regions_phrase(summary_of(group)),
            "chart": _regional_chart(indicator, national, group, unit, highlight=region),
            "downloads": _download_links(indicator, region),
        })
    return render(request, "localization/indicators/compare.html", context)


# --------------------------------------------------------------------------------------------- VLR


def vlr_region(request, kato):
    region = get_object_or_404(Region, kato=kato)
    return render(request, "localization/vlr/region.html", build_vlr(region, current_lang()))


def vlr_download(request, kato):
    """The VLR draft as one self-contained HTML file (inline CSS and SVG, no external files): opens in any
    browser and in LibreOffice Writer or Word, which can save it as .odt or .docx."""
    region = get_object_or_404(Region, kato=kato)
    lang = current_lang()
    context = build_vlr(region, lang)
    context["standalone"] = True
    html = render_to_string("localization/vlr/document.html", context, request=request)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vlr-{region.kato}-{lang}.html"'
    return response

