"""``aimaq-count FILE --rule …``: recount a pabulib .pb file with budget.core alone.

No Django, no settings, no database: the console script ``aimaq-count`` (installed by
pyproject) and ``manage.py count_pabulib`` (which hands this command over before
Django starts, see manage.py) both run :func:`main`. Prints the selected project
ids, one per line, in the order the rule selected them; an unreadable file or a bad
row is reported as ``FILE:LINE: reason`` on stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import sys

RULE_NAMES = ("greedy", "greedy-threshold", "mes", "mes-add1")
SAT_NAMES = ("cost", "cardinality", "points")


def build_parser(prog: str = "aimaq-count") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Recount a pabulib .pb file (greedy, greedy-threshold, mes or mes-add1; pabutools-identical, "
        "ties to the smallest project id) and print the selected project ids in selection order.",
    )
    p.add_argument("file", help="path of the .pb file (UTF-8)")
    p.add_argument("--rule", required=True, choices=RULE_NAMES, help="counting rule")
    p.add_argument("--sat", choices=SAT_NAMES, default=None,
                   help="satisfaction (pabutools Cost_Sat, Cardinality_Sat, Additive_Cardinal_Sat); "
                        "default: greedy ranks by total support, MES uses cost")
    p.add_argument("--threshold", default=None,
                   help="greedy-threshold: minimum total support (default: META min_project_score_threshold)")
    p.add_argument("--meta-counts", choices=("refuse", "warn"), default="refuse",
                   help="what to do when META num_votes/num_projects disagree with the rows (default: refuse)")
    return p


def run(file: str, rule: str, sat: str | None = None, threshold: str | None = None,
        meta_counts: str = "refuse") -> tuple[list[str], list[str]]:
    """Winners of ``file`` and warnings; raises :class:`CountError` ("FILE:LINE: reason")."""
    from .counting import count
    from .pabulib import PabulibError, election_from_pb, parse_pb, rule_options

    try:
        with open(file, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError as exc:
        raise CountError(f"{file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CountError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    try:
        pb = parse_pb(text, meta_counts=meta_counts)
        election = election_from_pb(pb)
        options = rule_options(pb, rule, sat=sat, threshold=threshold)
    except PabulibError as exc:
        raise CountError(f"{file}:{exc.line}: {exc.reason}") from None
    try:
        winners = count(election, rule, **options)
    except ValueError as exc:
        raise CountError(f"{file}: {exc}") from None
    return winners, [f"{file}:{line}: warning: {msg}" for line, msg in pb.warnings]


class CountError(Exception):
    pass


def main(argv: list[str] | None = None, prog: str = "aimaq-count") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        winners, warnings = run(args.file, args.rule, args.sat, args.threshold, args.meta_counts)
    except CountError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    for w in warnings:
        print(w, file=sys.stderr)
    sys.stdout.write("".join(f"{pid}\n" for pid in winners))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
