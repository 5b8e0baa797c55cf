from django.core.management.base import BaseCommand, CommandError, no_translations

from budget import services
from budget.models import Cycle


class Command(BaseCommand):
    help = (
        "Count a PPB cycle after voting has closed: every bucket with the cycle's frozen rule; stores the results, "
        "the anonymised .pb ballot file and its SHA-256. Idempotent: a counted cycle is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument("cycle_id", type=int)

    @no_translations
    def handle(self, *args, cycle_id, **options):
        cycle = Cycle.objects.filter(pk=cycle_id).first()
        if cycle is None:
            raise CommandError(f"No cycle with id {cycle_id}.")
        try:
            results = services.close_cycle(cycle)
        except services.BudgetError as error:
            raise CommandError(error.message) from None
        for result in results:
            self.stdout.write(
                f"{result.bucket.name_en}: {len(result.winners)} winner(s), {result.num_votes} ballot(s), "
                f"{result.money_left} tenge left, rule {result.rule}, sha256 {result.pb_sha256}"
            )
