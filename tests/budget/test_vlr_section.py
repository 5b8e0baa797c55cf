"""The budget app fills the PPB section of a region's Voluntary Local Review with its funded projects by SDG."""
import pytest
from django.utils import translation

from budget import services
from budget.models import Implementation, Stage
from localization.models import Region, Target
from localization.services.vlr import build_vlr
from tests.budget.helpers import ASTANA, INSIDE_ESIL_2, admit, move, propose

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(make_cycle, make_resident, expert_for):
    """An Esil (Astana) cycle: a playground serving 3.4 and 11.7 wins, a sidewalk without SDG targets wins too,
    and a third project is admitted but not funded."""
    cycle = make_cycle(buckets=((30_000_000, {}),))
    expert = expert_for(cycle)
    targets = list(Target.objects.filter(code__in=["3.4", "11.7"]))
    playground = propose(cycle, make_resident("author-1"), title="Courtyard playground", cost=12_000_000,
                         targets=targets)
    sidewalk = propose(cycle, make_resident("author-2"), title="Sidewalk ramps", cost=9_000_000,
                       point=INSIDE_ESIL_2)
    fountain = propose(cycle, make_resident("author-3"), title="Fountain", cost=25_000_000, targets=targets[:1])
    move(cycle, Stage.REVIEW)
    for proposal in (playground, sidewalk, fountain):
        admit(proposal, expert)
    move(cycle, Stage.VOTING)
    bucket = cycle.buckets.get()
    for i, picks in enumerate([[playground, sidewalk], [playground], [fountain]]):
        services.cast_ballot(bucket, make_resident(f"voter-{i}"), [p.pk for p in picks])
    move(cycle, Stage.COUNTING)
    services.close_cycle(cycle)
    Implementation.objects.filter(proposal=playground).update(status="in_progress", progress=40)
    return cycle


def test_funded_projects_fill_the_ppb_section_by_goal(counted):
    with translation.override("en"):
        review = build_vlr(Region.objects.get(kato=ASTANA), "en")
    (section,) = review["ppb_sections"]
    assert section.columns == ["SDG goal", "SDG targets", "Project", "Cycle", "Cost, ₸", "Implementation"]
    rows = [row[:3] + row[5:] for row in section.rows]
    # The playground serves goals 3 and 11 (listed under each); the sidewalk has no target; the fountain lost.
    assert rows == [
        ["3", "3.4", "Courtyard playground", "In progress, 40%"],
        ["11", "11.7", "Courtyard playground", "In progress, 40%"],
        ["no SDG target given", "", "Sidewalk ramps", "Planned, 0%"],
    ]
    assert section.rows[0][3] == f"Esil, {counted.year}"
    assert "2 funded project(s), 21\u00a0000\u00a0000 ₸ in all (each project counted once)" in section.notes[0]


def test_the_section_follows_the_language_and_other_regions_have_none(counted):
    with translation.override("kk"):
        (section,) = build_vlr(Region.objects.get(kato=ASTANA), "kk")["ppb_sections"]
    assert section.columns[0] == "ТДМ мақсаты" and section.rows[-1][0] == "ТДМ міндеті көрсетілмеген"
    with translation.override("en"):
        assert build_vlr(Region.objects.get(kato="750000000"), "en")["ppb_sections"] == []


def test_the_review_page_shows_the_projects(client, counted):
    html = client.get(f"/en/regions/{ASTANA}/vlr/").content.decode()
    assert "Courtyard playground" in html and "Sidewalk ramps" in html and "Fountain" not in html
    assert "No People's Participation Budget projects are linked" not in html.replace("&#x27;", "'")


def test_the_section_reads_the_projects_in_three_queries(counted, django_assert_num_queries):
    """Projects (with cycle and implementation), their targets with the targets' goals, their goals: 3 queries
    for the two funded projects and their three targets; 1 for a region without any."""
    from budget.vlr import vlr_sections

    astana = Region.objects.get(kato=ASTANA)
    with translation.override("en"), django_assert_num_queries(3):
        (section,) = vlr_sections(astana, "en")
    assert [row[1] for row in section["rows"]] == ["3.4", "11.7", ""]
    almaty = Region.objects.get(kato="750000000")
    with django_assert_num_queries(1):
        assert vlr_sections(almaty, "en") == []
