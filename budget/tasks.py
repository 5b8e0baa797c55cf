"""Budget jobs on the task queue: notification e-mails are sent by a worker, not by the request."""
from django_tasks import task


@task()
def notify(kind: str, pk: int) -> None:
    """Send the ``kind`` notification ("proposal_received", "review_decision", "results") for object ``pk``."""
    from .models import Cycle, Proposal, Review
    from .services import notifications as services

    if kind == "proposal_received":
        proposal = Proposal.objects.filter(pk=pk).first()
        if proposal is not None:
            services.notify_proposal_received(proposal)
    elif kind == "review_decision":
        review = Review.objects.select_related("proposal").filter(pk=pk).first()
        if review is not None:
            services.notify_review_decision(review)
    elif kind == "results":
        cycle = Cycle.objects.filter(pk=pk).first()
        if cycle is not None:
            services.notify_results(cycle)
    else:
        raise ValueError(f"unknown notification {kind!r}")
