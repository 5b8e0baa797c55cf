"""Counting a cycle runs on the task queue: the officer's request only queues it, a worker counts, the page
polls the progress and shows the results link; a second request while it runs does not start another."""
import pytest
from django.urls import reverse
from django.utils import translation

from budget import services
from budget.models import CountResult, CycleCount, Stage
from tests.budget.helpers import en_url, move, voted_cycle

pytestmark = pytest.mark.django_db
url = en_url


@pytest.fixture
def voted(make_cycle, make_resident, expert_for):
    cycle, _, proposals, _ = voted_cycle(make_cycle, make_resident, expert_for, ballots=4, choice=1)
    return cycle, proposals


def test_the_request_queues_the_count_and_a_worker_runs_it(client, voted, officer, task_queue):
    cycle, proposals = voted
    move(cycle, Stage.COUNTING)
    client.force_login(officer)
    response = client.post(url("budget:cycle_close", cycle.pk))
    job = CycleCount.objects.get(cycle=cycle)
    assert response.status_code == 302 and response["Location"] == url("budget:count_detail", job.pk)
    assert job.status == CycleCount.Status.PENDING and not CountResult.objects.exists()  # nothing counted in the request
    with translation.override("en"):
        waiting = client.get(url("budget:count_detail", job.pk)).content.decode()
    assert 'id="job-progress"' in waiting and "A worker is counting the votes" in waiting
    assert client.get(url("budget:count_status", job.pk)).json()["finished"] is False
    # a second click while it waits finds the same job
    client.post(url("budget:cycle_close", cycle.pk))
    assert CycleCount.objects.filter(cycle=cycle).count() == 1
    with translation.override("en"):
        assert "The votes are being counted." in client.get(url("budget:cycle_close", cycle.pk)).content.decode()

    task_queue()  # the worker
    job.refresh_from_db()
    assert job.status == CycleCount.Status.DONE and job.done == job.total == 1
    result = CountResult.objects.get(cycle=cycle)
    assert result.winners[0] == proposals[1].pk and result.num_votes == 4
    status = client.get(url("budget:count_status", job.pk)).json()
    assert status["finished"] is True and status["percent"] == 100
    done = client.get(url("budget:count_detail", job.pk))  # a finished count leads to the results
    assert done.status_code == 302 and done["Location"] == url("budget:results", cycle.pk)


def test_a_count_refused_in_the_worker_fails_with_the_message_in_the_starters_language(client, voted, officer,
                                                                                    task_queue):
    cycle, _ = voted
    move(cycle, Stage.COUNTING)
    client.force_login(officer)
    with translation.override("ru"):
        client.post(reverse("budget:cycle_close", args=[cycle.pk]))
    move(cycle, Stage.VOTING)  # voting reopened before the worker got to it
    task_queue()
    job = CycleCount.objects.get(cycle=cycle)
    assert job.status == CycleCount.Status.FAILED and not CountResult.objects.exists()
    with translation.override("ru"):
        expected = str(services.close_problem(cycle))
    assert job.errors == [expected] and expected.isascii() is False


def test_counting_before_the_close_is_refused_in_the_request(client, voted, officer):
    cycle, _ = voted
    client.force_login(officer)
    response = client.post(url("budget:cycle_close", cycle.pk))
    assert response.status_code == 302 and response["Location"] == url("budget:cycle_detail", cycle.pk)
    assert not CycleCount.objects.exists()


def test_only_the_cycles_officers_see_a_count(client, voted, officer, make_user, task_queue):
    cycle, _ = voted
    move(cycle, Stage.COUNTING)
    job = services.start_count(cycle, officer)
    client.force_login(make_user("other", role="akimat", region="750000000"))
    assert client.get(url("budget:count_detail", job.pk)).status_code == 403
    assert client.get(url("budget:count_status", job.pk)).status_code == 403
