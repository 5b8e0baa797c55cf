"""E-mails to authors and co-applicants, in each recipient's language (sent by the task queue's worker)."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from ..models import Cycle, Proposal, ResidentProfile, Review

log = logging.getLogger(__name__)

def recipient_language(user) -> str:
    profile = ResidentProfile.objects.filter(user=user).only("language").first()
    return profile.language if profile else settings.LANGUAGE_CODE


def _mail(user, template: str, context: dict) -> None:
    if not user.email:
        return
    with translation.override(recipient_language(user)):
        subject = render_to_string(f"budget/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"budget/email/{template}.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # mail must never break the workflow; the address is not logged
        log.warning("could not send %s notification to user %s", template, user.pk)


def notify_proposal_received(proposal: Proposal) -> None:
    for user in [proposal.author, *proposal.co_applicants.all()]:
        _mail(user, "proposal_received", {"proposal": proposal, "cycle": proposal.cycle})


def notify_review_decision(review: Review) -> None:
    proposal = review.proposal
    for user in [proposal.author, *proposal.co_applicants.all()]:
        _mail(user, "review_decision", {"proposal": proposal, "review": review, "cycle": proposal.cycle})


def notify_results(cycle: Cycle) -> None:
    for proposal in cycle.proposals.filter(
        status__in=[Proposal.Status.WINNER, Proposal.Status.NOT_FUNDED]
    ).select_related("author"):
        for user in [proposal.author, *proposal.co_applicants.all()]:
            _mail(user, "results", {"proposal": proposal, "cycle": cycle})
