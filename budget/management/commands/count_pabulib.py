"""count_pabulib FILE --rule greedy|mes|mes-add1: recount any pabulib .pb file.

Prints the selected project ids, one per line, in the order the rule selected them
(the order pabutools returns: for greedy by decreasing support, for MES the order
of the rounds). A thin wrapper over budget.core: parse_pb -> election_from_pb -> count.
"""

from django.core.management.base import BaseCommand, CommandError

from budget.core.counting import RULES, count
from budget.core.pabulib import PabulibError, election_from_pb, parse_pb


class Command(BaseCommand):
    help = (
        "Recount a pabulib .pb file with greedy, mes or mes-add1 (pabutools-identical, cost satisfaction, "
        "ties to the smallest project id) and print the selected project ids in selection order."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .pb file (UTF-8)")
        parser.add_argument("--rule", required=True, choices=list(RULES), help="counting rule")

    def handle(self, *args, file, rule, **options):
        try:
            with open(file, encoding="utf-8", newline="") as fh:
                text = fh.read()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: not UTF-8 text (byte {exc.start})") from None
        try:
            election = election_from_pb(parse_pb(text))
        except PabulibError as exc:
            raise CommandError(f"{file}:{exc.line}: {exc.reason}") from None
        for pid in count(election, rule):
            self.stdout.write(pid)
