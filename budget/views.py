"""PPB pages. Thin: permissions and rules are in budget.services."""
from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from geo.services import expire_stale
from geo.views import job_json
from localization.core import safecells
from localization.models import current_lang

from . import auth as auth_backend
from . import services
from .forms import (
    BallotForm,
    ImplementationForm,
    MilestoneForm,
    PaperBallotForm,
    ProposalForm,
    ReviewForm,
    SignUpForm,
    StageForm,
    apply_error,
)
from .models import (
    Attachment,
    Ballot,
    Bucket,
    CountResult,
    CycleCount,
    Cycle,
    Implementation,
    Proposal,
    Review,
    Stage,
    stage_index,
)
from .services import BudgetError


#: The street layer under the PPB maps (empty: no street layer). The outline comes from the site in any case.
DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _tiles() -> str:
    return getattr(settings, "PPB_TILE_URL", DEFAULT_TILES)


def _cycle_qs():
    return Cycle.objects.select_related("district__region", "region")


def _money(value) -> str:
    return f"{int(value):,}".replace(",", " ")


# --------------------------------------------------------------------------------------------------- cycles

def cycle_list(request):
    cycles = list(_cycle_qs().annotate(n_proposals=Count("proposals")))
    for cycle in cycles:
        cycle.current_stage = cycle.stage()
    return render(request, "budget/cycle_list.html", {"cycles": cycles, "Stage": Stage})


def cycle_detail(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    services.ensure_frozen(cycle)
    current = cycle.stage()
    timeline = [
        {"stage": s, "label": label, "first": first, "last": last, "current": s == current,
         "past": stage_index(s) < stage_index(current)}
        for s, label, first, last in cycle.timeline()
    ]
    buckets = list(cycle.buckets.prefetch_related("sponsorships"))
    profile = services.resident_of(request.user)
    my_ballots = {}
    if profile is not None:
        my_ballots = dict(services.ballots_of(profile, buckets).values_list("bucket_id", "channel"))
    context = {
        "cycle": cycle,
        "stage": current,
        "timeline": timeline,
        "buckets": buckets,
        "my_ballots": my_ballots,
        "can_manage": services.can_manage(request.user, cycle),
        "is_expert": services.is_assigned_expert(request.user, cycle),
        "can_submit": request.user.is_authenticated and services.submission_problem(cycle, request.user) is None,
        "voting_open": current == Stage.VOTING,
        "vote_bucket": next((b for b in buckets if b.pk not in my_ballots), None) if current == Stage.VOTING else None,
        "voting_closed": cycle.voting_closed,
        "counted": cycle.closed_at is not None,
        "stage_changes": cycle.stage_changes.select_related("changed_by")[:10],
        "Stage": Stage,
    }
    return render(request, "budget/cycle_detail.html", context)


@login_required
def cycle_stage(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    if not services.can_manage(request.user, cycle):
        raise PermissionDenied
    form = StageForm(request.POST or None, initial={"stage": cycle.stage_override})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_stage(cycle, request.user, form.cleaned_data["stage"], form.cleaned_data["reason"])
        except BudgetError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The stage was changed and the change was logged."))
            return redirect("budget:cycle_detail", pk=cycle.pk)
    return render(request, "budget/stage_form.html", {"cycle": cycle, "form": form})


@login_required
def cycle_close(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    if not services.can_manage(request.user, cycle):
        raise PermissionDenied
    problem = services.close_problem(cycle)
    if request.method == "POST":
        try:
            job = services.start_count(cycle, request.user)  # a worker counts; this request only queues it
        except BudgetError as error:
            messages.error(request, error.message)
            return redirect("budget:cycle_detail", pk=cycle.pk)
        return redirect("budget:count_detail", pk=job.pk)
    running = cycle.counts.filter(finished_at__isnull=True).first()
    return render(request, "budget/close_confirm.html", {"cycle": cycle, "problem": problem, "running": running})


def _count_job(request, pk) -> CycleCount:
    job = get_object_or_404(CycleCount.objects.select_related("cycle__region", "cycle__district"), pk=pk)
    if not services.can_manage(request.user, job.cycle):
        raise PermissionDenied
    expire_stale(job)  # a count whose worker is gone shows as failed at once
    return job


@login_required
def count_detail(request, pk):
    """Progress of a count on the task queue (the page reloads itself when the job ends); a finished count leads
    straight to the published results."""
    job = _count_job(request, pk)
    if job.status == CycleCount.Status.DONE:
        messages.success(request, _("The votes were counted and the results published."))
        return redirect("budget:results", pk=job.cycle_id)
    return render(request, "budget/count_detail.html", {
        "job": job, "cycle": job.cycle, "status_url": reverse("budget:count_status", args=[job.pk])})


@login_required
@require_GET
def count_status(request, pk):
    return job_json(_count_job(request, pk))


# --------------------------------------------------------------------------------------------------- proposals

def proposal_list(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    proposals = cycle.proposals.select_related("bucket").order_by("bucket_id", "id")
    status = request.GET.get("status")
    if status in Proposal.Status.values:
        proposals = proposals.filter(status=status)
    proposals = _with_cards(proposals)
    points = [
        {"lat": p.lat, "lon": p.lon, "title": p.title, "url": reverse("budget:proposal_detail", args=[p.pk])}
        for p in proposals
    ]
    return render(request, "budget/proposal_list.html", {
        "cycle": cycle, "proposals": proposals, "statuses": Proposal.Status.choices, "status": status,
        "points": json.dumps(points, ensure_ascii=False), "tiles": _tiles(),
    })


def _with_cards(proposals) -> list[Proposal]:
    """Proposals with what a card shows: the first photo and the distinct SDG goals of their targets."""
    proposals = list(proposals.select_related("cycle__district__region", "cycle__region").prefetch_related(
        "sdg_targets__goal", "sdg_goals", Prefetch("attachments", queryset=Attachment.objects.filter(kind__in=["jpg", "png"]).order_by("id"),
                                      to_attr="photos"),
    ))
    for p in proposals:
        goals = {t.goal.number: t.goal for t in p.sdg_targets.all()}
        goals.update({g.number: g for g in p.sdg_goals.all()})
        p.goals = [goals[n] for n in sorted(goals)]
        p.photo = p.photos[0] if p.photos else None
    return proposals


def _proposal_or_404(pk):
    return get_object_or_404(
        Proposal.objects.select_related("cycle__district__region", "cycle__region", "bucket", "author"), pk=pk
    )


def proposal_detail(request, pk):
    proposal = _proposal_or_404(pk)
    cycle = proposal.cycle
    votes = None
    result = CountResult.objects.filter(bucket_id=proposal.bucket_id).first() if cycle.voting_closed else None
    if result is not None:
        votes = result.tallies.get(str(proposal.pk))
    reviews = proposal.reviews.prefetch_related("verdicts").order_by("round")
    user = request.user
    is_author = user.is_authenticated and proposal.author_id == user.pk
    context = {
        "proposal": proposal,
        "cycle": cycle,
        "reviews": reviews,
        "votes": votes,
        "result": result,
        "rss": services.settlement_context(proposal),
        "is_author": is_author,
        "can_edit": is_author and services.edit_problem(proposal, user) is None,
        "review_round": services.open_round(proposal) if services.is_assigned_expert(user, cycle) else None,
        "implementation": Implementation.objects.filter(proposal=proposal).prefetch_related("milestones").first(),
        "point": json.dumps({"lat": proposal.lat, "lon": proposal.lon, "title": proposal.title}),
        "tiles": _tiles(),
    }
    return render(request, "budget/proposal_detail.html", context)


def attachment_file(request, pk):
    attachment = get_object_or_404(Attachment, pk=pk)
    content_type = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}[attachment.kind]
    response = FileResponse(attachment.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="attachment-{attachment.pk}.{attachment.kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _proposal_form_page(request, cycle, form, proposal=None):
    return render(request, "budget/proposal_form.html", {
        "cycle": cycle, "form": form, "proposal": proposal,
        "area_url": reverse("budget:cycle_area", args=[cycle.pk]), "tiles": _tiles(),
    })


@login_required
def proposal_submit(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    problem = services.submission_problem(cycle, request.user)
    if problem:
        messages.error(request, problem.message)
        if problem.code == "not_resident":
            return redirect(f"{reverse('budget:signup')}?next={request.path}")
        return redirect("budget:cycle_detail", pk=cycle.pk)
    form = ProposalForm(request.POST or None, request.FILES or None, cycle=cycle, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.submit_proposal(
                cycle, request.user, form.proposal_data(), **form.sdg_choice(),
                co_applicants=form.cleaned_data.get("co_applicant_users", []),
                files=form.cleaned_data.get("attachments") or [],
            )
        except BudgetError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Your proposal was received. We will tell you the experts' decision."))
            return redirect("budget:proposal_detail", pk=proposal.pk)
    return _proposal_form_page(request, cycle, form)


@login_required
def proposal_edit(request, pk):
    proposal = _proposal_or_404(pk)
    problem = services.edit_problem(proposal, request.user)
    if problem:
        messages.error(request, problem.message)
        return redirect("budget:proposal_detail", pk=proposal.pk)
    form = ProposalForm(
        request.POST or None, request.FILES or None, cycle=proposal.cycle, user=request.user, proposal=proposal
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_proposal(
                proposal, request.user, form.proposal_data(), **form.sdg_choice(),
                co_applicants=form.cleaned_data.get("co_applicant_users", []),
                files=form.cleaned_data.get("attachments") or [],
            )
        except BudgetError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("budget:proposal_detail", pk=proposal.pk)
    return _proposal_form_page(request, proposal.cycle, form, proposal)


@require_GET
def cycle_area(request, pk):
    """GeoJSON of the cycle's territory (district or city), for the pin map."""
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    boundary = services.area_boundary(cycle)
    if boundary is None:
        raise Http404
    feature = {
        "type": "Feature",
        "properties": {"name": cycle.owner_name},
        "geometry": json.loads(boundary.web_geometry or boundary.geometry),
    }
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


# --------------------------------------------------------------------------------------------------- review

@login_required
def review_queue(request):
    if request.user.role != "expert":
        raise PermissionDenied
    cycles = Cycle.objects.filter(experts__expert=request.user).select_related("district", "region")
    done = Review.objects.filter(expert=request.user).select_related("proposal__cycle").order_by("-created_at")[:50]
    return render(request, "budget/review_queue.html", {
        "cycles": cycles, "waiting": services.review_queue(request.user), "done": done,
    })


@login_required
def review_form(request, pk):
    proposal = _proposal_or_404(pk)
    if not services.is_assigned_expert(request.user, proposal.cycle):
        raise PermissionDenied
    round_ = services.open_round(proposal)
    if round_ is None:
        messages.error(request, _("This proposal cannot be reviewed at this stage."))
        return redirect("budget:proposal_detail", pk=proposal.pk)
    form = ReviewForm(request.POST or None, proposal=proposal, round_=round_)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_review(
                proposal, request.user, verdicts=form.verdicts(), decision=form.cleaned_data["decision"],
                explanation=form.cleaned_data["explanation"], adjusted_cost=form.cleaned_data["adjusted_cost"],
            )
        except BudgetError as error:
            target = error.field if error.field in form.fields else (
                f"reason_{error.field}" if error.field and f"reason_{error.field}" in form.fields else None
            )
            form.add_error(target, error.message)
        else:
            messages.success(request, _("The decision was recorded and published in the protocol."))
            return redirect("budget:review_queue")
    return render(request, "budget/review_form.html", {"proposal": proposal, "form": form, "round": round_,
                                                        "cycle": proposal.cycle})


def protocol(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    reviews = (
        Review.objects.filter(proposal__cycle=cycle)
        .select_related("proposal__bucket")
        .prefetch_related("verdicts")
        .order_by("proposal_id", "round")
    )
    return render(request, "budget/protocol.html", {"cycle": cycle, "reviews": reviews})


# --------------------------------------------------------------------------------------------------- voting

def _bucket_or_404(pk):
    return get_object_or_404(Bucket.objects.select_related("cycle__district__region", "cycle__region"), pk=pk)


RECEIPT_COOKIE = "budget_receipt"


def _voted(request, bucket, ballot, created: bool):
    """The answer to a recorded vote: back to the ballot page, which shows the receipt code once."""
    messages.success(request, _("Your vote was recorded.") if created else _("Your vote was changed."))
    code = getattr(ballot, "receipt_code", None)
    response = redirect("budget:ballot", pk=bucket.pk)
    if code:  # shown once by the GET that follows; a signed cookie, so the vote writes no session row
        response.set_signed_cookie(RECEIPT_COOKIE, f"{bucket.pk}:{code}", salt=RECEIPT_COOKIE, max_age=900,
                                   httponly=True, secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
    return response


def ballot(request, pk):
    # A vote reads the chosen proposals with their bucket and cycle in one query (the cycle's own columns only; the
    # page, on a GET or a refused POST, reads its places lazily).
    chosen = (services.admitted_choices_with_bucket(pk, request.POST.getlist("choices"))
              if request.method == "POST" else None)
    if chosen:
        bucket = chosen[0].bucket
    elif request.method == "POST":
        bucket = get_object_or_404(Bucket.objects.select_related("cycle"), pk=pk)
    else:
        bucket = _bucket_or_404(pk)
    cycle = bucket.cycle
    services.ensure_frozen(cycle)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    profile = services.resident_of(request.user)  # read once per request
    problem = None
    if cycle.stage() != Stage.VOTING:
        problem = _("Voting is not open: ballots are accepted only during the voting stage.")
    else:
        refusal = services.voting_problem(cycle, profile)
        problem = refusal.message if refusal else None
    if request.method == "POST":
        # The ballot is only written here: a valid vote redirects (the page is rendered by the GET that follows).
        # Choices that all name projects admitted in this bucket go straight to the service, which checks them under
        # the cycle's rules (once); the form is validated only to say what is wrong.
        # (Choices that admitted_choices_with_bucket did not accept are ones the form refuses too: its errors show
        # when the bound form is rendered.)
        form = None
        if problem:
            messages.error(request, problem)
        elif chosen:
            try:
                _ballot, created = services.cast_ballot(bucket, request.user, [p.pk for p in chosen], cycle=cycle,
                                                        profile=profile, proposals=chosen)
            except BudgetError as error:
                form = BallotForm(request.POST, bucket=bucket, chosen=chosen)
                if form.is_valid():  # else the form names the rule the choices break, on its field
                    apply_error(form, error)
            else:
                return _voted(request, bucket, _ballot, created)
        if form is None:
            form = BallotForm(request.POST, bucket=bucket, chosen=chosen)
        existing = services.my_ballot(bucket, request.user, profile=profile)
    else:
        existing = services.my_ballot(bucket, request.user, profile=profile)
        initial = {"choices": list(existing.choices.values_list("pk", flat=True))} if existing else None
        form = BallotForm(bucket=bucket, initial=initial)
    can_change = existing is None or (cycle.vote_changeable and existing.channel == "online")
    receipt = None
    if request.method == "GET":
        raw = request.get_signed_cookie(RECEIPT_COOKIE, default=None, salt=RECEIPT_COOKIE, max_age=900)
        bucket_pk, _sep, code = (raw or "").partition(":")
        receipt = code if raw and bucket_pk == str(bucket.pk) else None
    next_buckets = []
    if existing is not None and cycle.stage() == Stage.VOTING:
        buckets = list(cycle.buckets.all())
        voted = set(services.ballots_of(profile, buckets).values_list("bucket_id", flat=True))
        next_buckets = [b for b in buckets if b.pk not in voted]
    response = render(request, "budget/ballot.html", {
        "bucket": bucket, "cycle": cycle, "form": form, "existing": existing, "problem": problem,
        "can_change": can_change, "receipt": receipt, "next_buckets": next_buckets,
    })
    if receipt:
        response.delete_cookie(RECEIPT_COOKIE)
    return response


def my_ballot(request):
    """Check a receipt code: was the ballot recorded, in which bucket, when. Never the choices, never the voter."""
    code = (request.GET.get("code") or "").strip()[:40]
    found = services.check_receipt(code) if code else None
    mine = []
    profile = services.resident_of(request.user)
    if profile is not None:
        mine = list(
            services.ballots_of(profile)
            .select_related("bucket", "cycle__district__region", "cycle__region").order_by("-created_at")
        )
    return render(request, "budget/my_ballot.html", {"code": code, "found": found, "checked": bool(code), "mine": mine})


@login_required
def my_proposals(request):
    user = request.user
    proposals = Proposal.objects.filter(Q(author=user) | Q(co_applicants=user)).distinct().order_by("-created_at")
    return render(request, "budget/my_proposals.html", {"proposals": _with_cards(proposals)})


@login_required
def my_activity(request):
    """What the signed-in person did in the PPB, newest first: proposals, expert decisions on them, ballots."""
    user = request.user
    events = []
    proposals = list(Proposal.objects.filter(author=user).select_related("cycle"))
    for p in proposals:
        events.append({"at": p.created_at, "kind": "proposal", "proposal": p, "cycle": p.cycle})
    for review in Review.objects.filter(proposal__in=proposals).select_related("proposal__cycle"):
        events.append({"at": review.created_at, "kind": "review", "proposal": review.proposal, "review": review,
                       "cycle": review.proposal.cycle})
    profile = services.resident_of(user)
    if profile is not None:
        for b in services.ballots_of(profile).select_related("bucket", "cycle"):
            events.append({"at": b.created_at, "kind": "ballot", "ballot": b, "cycle": b.cycle})
    events.sort(key=lambda e: e["at"], reverse=True)
    return render(request, "budget/my_activity.html", {"events": events})


@require_GET
def place_search(request, pk):
    """Settlements of the cycle's territory whose kk/ru/en name contains ``q`` (for the pin map's search box).

    Names are matched in Python with casefold(), so Cyrillic matches without regard to case on every database."""
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    query = (request.GET.get("q") or "").strip().casefold()[:100]
    results = []
    if len(query) >= 2:
        from geo.models import Settlement

        rows = Settlement.objects.filter(lat__isnull=False, lon__isnull=False)
        rows = rows.filter(district_id=cycle.district_id) if cycle.district_id else rows.filter(region_id=cycle.region_id)
        lang = current_lang()
        for s in rows.order_by("-population", "id")[:5000]:
            names = [s.name_kk, s.name_ru, s.name_en]
            if any(query in (n or "").casefold() for n in names):
                results.append({"name": s.tr("name", lang) or next(n for n in names if n), "type": s.get_type_display(),
                                "lat": round(s.lat, 6), "lon": round(s.lon, 6)})
                if len(results) == 10:
                    break
    body = json.dumps({"query": query, "results": results}, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@sensitive_post_parameters("iin")
@login_required
def paper_ballot(request, pk):
    bucket = _bucket_or_404(pk)
    cycle = bucket.cycle
    if not services.can_manage(request.user, cycle):
        raise PermissionDenied
    form = PaperBallotForm(request.POST or None, bucket=bucket)
    if request.method == "POST" and form.is_valid():
        try:
            services.enter_paper_ballot(
                bucket, request.user, iin=form.cleaned_data["iin"], district=form.cleaned_data["district"],
                proposal_ids=[p.pk for p in form.cleaned_data["choices"]],
            )
        except BudgetError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("The paper ballot was recorded."))
            return redirect("budget:paper_ballot", pk=bucket.pk)
    entered = bucket.ballots.filter(channel="paper", entered_by=request.user).count()
    return render(request, "budget/paper_ballot.html", {
        "bucket": bucket, "cycle": cycle, "form": form, "voting_open": cycle.stage() == Stage.VOTING,
        "entered": entered,
    })


# --------------------------------------------------------------------------------------------------- results

def results(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    rows = []
    if cycle.voting_closed:
        for result in CountResult.objects.filter(cycle=cycle).select_related("bucket").order_by("bucket_id"):
            proposals = {p.pk: p for p in result.bucket.proposals.filter(pk__in=[int(k) for k in result.tallies])}
            winners = [proposals[pid] for pid in result.winners if pid in proposals]
            others = sorted(
                (p for pid, p in proposals.items() if pid not in set(result.winners)),
                key=lambda p: (-result.tallies.get(str(p.pk), 0), p.pk),
            )
            rows.append({
                "result": result,
                "bucket": result.bucket,
                "winners": [(p, result.tallies.get(str(p.pk), 0)) for p in winners],
                "others": [(p, result.tallies.get(str(p.pk), 0)) for p in others],
                "fairness_rows": services.fairness_rows(result),
                "share_pct": round(100 * result.fairness.get("share_with_funded", 0), 1),
            })
    return render(request, "budget/results.html", {
        "cycle": cycle, "rows": rows, "voting_closed": cycle.voting_closed, "can_manage": services.can_manage(request.user, cycle),
        "rule_label": Cycle.CountingRule(cycle.counting_rule).label,
    })


def _closed_result(pk) -> CountResult:
    result = get_object_or_404(CountResult.objects.select_related("cycle", "bucket"), pk=pk)
    if not result.cycle.voting_closed:
        raise Http404
    return result


def result_pb(request, pk):
    result = _closed_result(pk)
    response = HttpResponse(result.pb_text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="aimaq_{result.cycle.year}_cycle{result.cycle_id}_bucket{result.bucket_id}.pb"'
    )
    response["X-Checksum-SHA256"] = result.pb_sha256
    return response


def result_csv(request, pk):
    result = _closed_result(pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aimaq_results_bucket{result.bucket_id}.csv"'
    writer = safecells.writer(response)
    writer.writerow(["project_id", "title", "cost", "votes", "funded"])
    winners = set(result.winners)
    for proposal in result.bucket.proposals.filter(pk__in=[int(k) for k in result.tallies]).order_by("id"):
        writer.writerow([proposal.pk, proposal.title, proposal.cost, result.tallies.get(str(proposal.pk), 0),
                         1 if proposal.pk in winners else 0])
    return response


# --------------------------------------------------------------------------------------------------- implementation

def implementation(request, pk):
    cycle = get_object_or_404(_cycle_qs(), pk=pk)
    items = (
        Implementation.objects.filter(proposal__cycle=cycle)
        .select_related("proposal__bucket")
        .prefetch_related("milestones")
        .order_by("proposal_id")
    )
    return render(request, "budget/implementation.html", {
        "cycle": cycle, "items": items, "can_manage": services.can_manage(request.user, cycle),
    })


@login_required
def implementation_edit(request, pk):
    item = get_object_or_404(Implementation.objects.select_related("proposal__cycle"), pk=pk)
    cycle = item.proposal.cycle
    if not services.can_manage(request.user, cycle):
        raise PermissionDenied
    form = ImplementationForm(request.POST or None, instance=item, prefix="impl")
    milestone_form = MilestoneForm(prefix="ms")
    if request.method == "POST":
        if "add_milestone" in request.POST:
            milestone_form = MilestoneForm(request.POST, request.FILES, prefix="ms")
            form = ImplementationForm(instance=item, prefix="impl")
            if milestone_form.is_valid():
                milestone = milestone_form.save(commit=False)
                milestone.implementation = item
                milestone.save()
                messages.success(request, _("The milestone was added."))
                return redirect("budget:implementation_edit", pk=item.pk)
        elif form.is_valid():
            form.save()
            messages.success(request, _("Saved."))
            return redirect("budget:implementation", pk=cycle.pk)
    return render(request, "budget/implementation_edit.html", {
        "item": item, "cycle": cycle, "form": form, "milestone_form": milestone_form,
    })


def milestone_photo(request, pk):
    from .models import Milestone

    milestone = get_object_or_404(Milestone, pk=pk)
    if not milestone.photo:
        raise Http404
    name = milestone.photo.name.lower()
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(milestone.photo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def projects_geojson(request):
    """Winning projects as points (with implementation status), for the map layer."""
    qs = Proposal.objects.filter(status=Proposal.Status.WINNER, cycle__closed_at__isnull=False).select_related(
        "cycle", "implementation"
    )
    cycle_id = request.GET.get("cycle")
    if cycle_id:
        if not cycle_id.isdigit():
            raise Http404
        qs = qs.filter(cycle_id=int(cycle_id))
    lang = current_lang()
    features = []
    for p in qs.order_by("id"):
        impl = getattr(p, "implementation", None)
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]},
            "properties": {
                "id": p.pk,
                "title": p.title,
                "category": p.category,
                "category_label": p.get_category_display(),
                "cost": p.cost,
                "cycle": p.cycle_id,
                "cycle_name": p.cycle.tr("name", lang),
                "year": p.cycle.year,
                "implementation_status": impl.status if impl else None,
                "progress": impl.progress if impl else None,
                "url": reverse("budget:proposal_detail", args=[p.pk]),
            },
        })
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


# --------------------------------------------------------------------------------------------------- sign-up

@sensitive_post_parameters("iin", "password1", "password2")
def signup(request):
    if request.user.is_authenticated and services.resident_of(request.user) is not None:
        return redirect("budget:cycle_list")
    form = SignUpForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        try:
            user = form.save(language=(get_language() or "kk")[:2])
        except BudgetError as error:
            apply_error(form, error)
        else:
            login(request, user, backend=auth_backend.BACKEND)
            messages.success(request, _("Welcome! Your resident account was created."))
            if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
                return redirect(next_url)
            return redirect("budget:cycle_list")
    return render(request, "budget/signup.html", {"form": form, "next": next_url})
