"""Job pages: my jobs (administrators see all), live progress partial, cancel, and the result
download only for the owner or an administrator."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accord.core.testing import assert_num_queries, user_with_role
from accord.dataio.jobs import job_attach_file
from accord.dataio.models import Job

pytestmark = pytest.mark.django_db


def _job(user, **fields) -> Job:
    defaults = {"kind": Job.Kind.EXPORT, "created_by": user, "title": "Contacts export"}
    return Job.objects.create(**{**defaults, **fields})


def _client(client, user):
    client.force_login(user)
    return client


def test_job_list_shows_only_my_jobs(client):
    me = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    mine = _job(me, title="My export", status=Job.Status.RUNNING, total=200, done=50)
    _job(other, title="Their export")

    response = _client(client, me).get(reverse("dataio:job_list"))

    assert response.status_code == 200
    assert [job.pk for job in response.context["jobs"]] == [mine.pk]
    html = response.content.decode()
    assert "My export" in html and "Their export" not in html
    assert 'value="25"' in html


def test_administrator_sees_every_job(client):
    admin = user_with_role("administrator")
    first = _job(user_with_role("sales_manager"))
    second = _job(user_with_role("marketing"))

    response = _client(client, admin).get(reverse("dataio:job_list"))

    assert {job.pk for job in response.context["jobs"]} == {first.pk, second.pk}
    assert response.context["show_owner"] is True


def test_job_list_needs_sign_in(client):
    response = client.get(reverse("dataio:job_list"))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_someone_elses_job_is_404(client):
    job = _job(user_with_role("sales_manager"))
    intruder = user_with_role("sales_manager")
    c = _client(client, intruder)

    assert c.get(reverse("dataio:job_detail", args=[job.pk])).status_code == 404
    assert c.post(reverse("dataio:job_cancel", args=[job.pk])).status_code == 404
    assert c.get(reverse("dataio:job_download", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert (job.cancel_requested, job.status) == (False, Job.Status.QUEUED)


def test_running_job_polls_its_progress_and_a_finished_one_stops(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.RUNNING, total=10, done=3)
    c = _client(client, me)
    url = reverse("dataio:job_detail", args=[job.pk])

    page = c.get(url).content.decode()
    partial = c.get(url, {"partial": "progress"}, HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 1s"' in page and "3 of 10" in page
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith('<section id="job-progress"')
    assert "<html" not in partial.content.decode()

    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, done=10)
    finished = c.get(url, {"partial": "progress"}, HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in finished and 'value="100"' in finished


def test_job_log_and_message_are_shown(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.FAILED, message="Disk full", log=["chunk 1", "chunk 2"])

    html = _client(client, me).get(reverse("dataio:job_detail", args=[job.pk])).content.decode()

    assert "Disk full" in html and "<li>chunk 1</li>" in html and "<li>chunk 2</li>" in html
    assert "job_cancel" not in html and "/cancel/" not in html


def test_cancel_queued_job_cancels_it_at_once(client):
    me = user_with_role("sales_manager")
    job = _job(me)

    response = _client(client, me).post(reverse("dataio:job_cancel", args=[job.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("dataio:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.cancel_requested, job.status) == (True, Job.Status.CANCELLED)


def test_cancel_running_job_asks_it_to_stop(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.RUNNING)

    _client(client, me).post(reverse("dataio:job_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert (job.cancel_requested, job.status) == (True, Job.Status.RUNNING)


def test_cancel_needs_post(client):
    me = user_with_role("sales_manager")
    job = _job(me)

    response = _client(client, me).get(reverse("dataio:job_cancel", args=[job.pk]))

    assert response.status_code == 405
    job.refresh_from_db()
    assert job.cancel_requested is False


def test_cancel_finished_job_changes_nothing(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.DONE)

    _client(client, me).post(reverse("dataio:job_cancel", args=[job.pk]))

    job.refresh_from_db()
    assert (job.cancel_requested, job.status) == (False, Job.Status.DONE)


def test_download_streams_the_result_under_its_name_to_owner_and_administrator(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.DONE)
    job_attach_file(job, "contacts.csv", ContentFile(b"name\nAnna\n"))

    for user in (me, user_with_role("administrator")):
        response = _client(client, user).get(reverse("dataio:job_download", args=[job.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"name\nAnna\n"
        assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'


def test_download_without_a_result_is_404(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.RUNNING)

    response = _client(client, me).get(reverse("dataio:job_download", args=[job.pk]))

    assert response.status_code == 404


def test_menu_shows_jobs_to_everyone_signed_in_and_import_only_to_importers(client):
    agent = user_with_role("service_agent")
    manager = user_with_role("sales_manager")

    agent_page = _client(client, agent).get(reverse("dataio:job_list")).content.decode()
    manager_page = _client(client, manager).get(reverse("dataio:job_list")).content.decode()

    assert reverse("dataio:job_list") in agent_page
    assert reverse("dataio:import_start") not in agent_page
    assert reverse("dataio:import_start") in manager_page


def test_job_list_query_budget_does_not_grow_with_jobs(client):
    me = user_with_role("sales_manager")
    c = _client(client, me)
    for _ in range(3):
        _job(me)
    c.get(reverse("dataio:job_list"))  # warm the session and grants

    with assert_num_queries(6) as few:
        c.get(reverse("dataio:job_list"))
    for _ in range(5):
        _job(me)
    with assert_num_queries(len(few.captured_queries)):
        c.get(reverse("dataio:job_list"))


def test_job_list_refreshes_itself_only_while_a_job_runs(client):
    me = user_with_role("sales_manager")
    job = _job(me, status=Job.Status.RUNNING)
    c = _client(client, me)

    running = c.get(reverse("dataio:job_list")).content.decode()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    finished = c.get(reverse("dataio:job_list")).content.decode()

    assert 'hx-trigger="every 2s"' in running
    assert "every 2s" not in finished
