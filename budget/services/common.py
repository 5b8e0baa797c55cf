"""What every part of the workflow shares: :class:`BudgetError`, the voting age and the two permission checks.

Errors meant for the user are raised as :class:`BudgetError` with a translated message (never echoing an IIN).
"""
from __future__ import annotations

from localization.permissions import can_edit_region

from ..models import Cycle, ExpertAssignment

VOTING_AGE = 18


class BudgetError(Exception):
    """A refusal to show to the user: ``message`` is already translated; ``code`` is stable for tests and logs."""

    def __init__(self, message: str, code: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message

    @property
    def job_message(self) -> str:
        """What a failed job's row says (:func:`jobs.execution.fail_row`): the translated message alone."""
        return self.message


# --------------------------------------------------------------------------------------------------- permissions

def can_manage(user, cycle: Cycle) -> bool:
    """Officers of the cycle's region (akimat of that region, statistics, admin): the one region check."""
    return can_edit_region(user, cycle.owner_region)


def is_assigned_expert(user, cycle: Cycle) -> bool:
    return bool(
        user.is_authenticated
        and user.role == "expert"
        and ExpertAssignment.objects.filter(cycle=cycle, expert=user).exists()
    )
