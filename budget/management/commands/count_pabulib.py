"""count_pabulib FILE --rule greedy|greedy-threshold|mes|mes-add1 [--sat …]: recount any pabulib .pb file.

`manage.py count_pabulib` does not come here: manage.py hands it to budget.core.cli
before Django starts (counting needs no web stack). This command serves
call_command() and `manage.py help`; both run the same budget.core.cli.run().
"""

from django.core.management.base import BaseCommand, CommandError

from budget.core.cli import RULE_NAMES, SAT_NAMES, CountError, run


class Command(BaseCommand):
    help = (
        "Recount a pabulib .pb file with greedy, greedy-threshold, mes or mes-add1 (pabutools-identical, ties to "
        "the smallest project id) and print the selected project ids in selection order."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .pb file (UTF-8)")
        parser.add_argument("--rule", required=True, choices=RULE_NAMES, help="counting rule")
        parser.add_argument("--sat", choices=SAT_NAMES, default=None, help="satisfaction (see aimaq-count --help)")
        parser.add_argument("--threshold", default=None, help="greedy-threshold: minimum total support")
        parser.add_argument("--meta-counts", choices=("refuse", "warn"), default="refuse",
                            help="META num_votes/num_projects disagreeing with the rows: refuse or warn")

    def handle(self, *args, file, rule, sat, threshold, meta_counts, **options):
        try:
            winners, warnings = run(file, rule, sat, threshold, meta_counts)
        except CountError as exc:
            raise CommandError(str(exc)) from None
        for w in warnings:
            self.stderr.write(w)
        for pid in winners:
            self.stdout.write(pid)
