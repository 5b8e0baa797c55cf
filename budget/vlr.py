"""The People's Participation Budget section of a region's Voluntary Local Review draft.

``localization.services.vlr`` asks every AppConfig for ``vlr_sections(region, lang)``; the budget app answers with
the funded projects (winners of counted cycles) of the region's cycles — its districts' and, for a city of
republican significance, the city's own — grouped by the SDG goals of the targets each project serves. A project
serving several goals is listed under each of them; the totals count it once. No counted cycle: no section, and the
review says that no PPB project is linked.
"""
from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from localization.models import Target

from .models import Proposal, in_region


def funded_projects(region):
    """The region's funded projects with their cycle, implementation, SDG targets (with their goals) and goals
    chosen without a target: 3 queries, whatever the number of projects (1 when there is none)."""
    return (
        Proposal.objects.filter(in_region(region, "cycle__"),
                                status=Proposal.Status.WINNER, cycle__closed_at__isnull=False)
        .select_related("cycle__district", "cycle__region", "implementation")
        .prefetch_related(Prefetch("sdg_targets", queryset=Target.objects.select_related("goal")), "sdg_goals")
        .order_by("cycle__year", "cycle_id", "id")
    )


def vlr_sections(region, lang) -> list[dict]:
    projects = list(funded_projects(region))
    if not projects:
        return []
    rows = []
    for project in projects:
        targets = sorted(project.sdg_targets.all(), key=lambda t: t.sort_key)
        by_goal: dict[int, list[str]] = {}
        for target in targets:
            by_goal.setdefault(target.goal.number, []).append(target.code)
        for goal in project.sdg_goals.all():  # goals chosen without a target
            by_goal.setdefault(goal.number, [])
        implementation = getattr(project, "implementation", None)
        progress = (f"{implementation.get_status_display()}, {implementation.progress}%" if implementation
                    else _("no data"))
        cycle = project.cycle
        where = f"{cycle.owner_name}, {cycle.year}"
        for goal in sorted(by_goal) or [None]:
            rows.append([
                goal if goal is not None else _("no SDG target given"),
                ", ".join(by_goal[goal]) if goal is not None else "",
                project.title, where, project.cost, progress,
            ])
    rows.sort(key=lambda row: (0, row[0]) if isinstance(row[0], int) else (1, 0))
    total = sum(project.cost for project in projects)
    cycles = sorted({(p.cycle.year, p.cycle.owner_name) for p in projects})
    return [{
        "key": "ppb",
        "intro": _("Projects chosen by residents and funded in the region's counted People's Participation Budget "
                   "cycles, by the SDG goals of the targets each project serves (as its authors and the experts "
                   "gave them)."),
        "caption": _("Funded PPB projects by SDG goal"),
        "columns": [_("SDG goal"), _("SDG targets"), _("Project"), _("Cycle"), _("Cost, ₸"), _("Implementation")],
        "rows": rows,
        "notes": [
            _("%(n)s funded project(s), %(total)s ₸ in all (each project counted once), in %(cycles)s.") % {
                "n": len(projects), "total": f"{total:,}".replace(",", "\u00a0"),
                "cycles": "; ".join(f"{name} {year}" for year, name in cycles)},
            _("Source: the results of each cycle as counted and published by Aimaq (the .pb ballot file and its "
              "SHA-256 are on the cycle's results page); implementation as last updated by the akimat."),
        ],
    }]
