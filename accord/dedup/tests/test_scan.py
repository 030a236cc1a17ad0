"""The whole-base scan: blocks, clusters, dismissals, the job runner and its cancel."""

from __future__ import annotations

import re

import pytest

from accord.core.testing import user_with_role
from accord.dataio.jobs import run_job
from accord.dataio.models import Job
from accord.dedup import matching, scan
from accord.dedup.models import DuplicateCluster
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

VALID_INN = "7707083893"


@pytest.fixture
def owner():
    return user_with_role("sales_manager")


def _clusters(result):
    return [(c.ids, c.score) for c in result.clusters]


def test_scan_finds_contacts_across_scripts_phones_and_gmail(owner):
    alpha = make_company(owner=owner, name="Alpha")
    shchukin = make_contact(
        owner=owner, last_name="Щукин", first_name="Иван", middle_name="Петрович"
    )
    chtchoukine = make_contact(
        owner=owner, last_name="Chtchoukine", first_name="Ivan", middle_name="Petrovitch"
    )
    petrov = make_contact(
        owner=owner, last_name="Петров", first_name="Олег", phones=["+73511234567"]
    )
    petrov_latin = make_contact(
        owner=owner, last_name="Petrov", first_name="Oleg", phones=["8 (351) 123-45-67"]
    )
    claire = make_contact(
        owner=owner, last_name="Martin", first_name="Claire", emails=["claire.martin@gmail.com"]
    )
    claire_again = make_contact(
        owner=owner,
        last_name="MARTIN",
        first_name="Claire",
        emails=["ClaireMartin+crm@googlemail.com"],
        company=alpha,
    )
    make_contact(owner=owner, last_name="Dupont", first_name="Claire")

    result = scan.scan("contact")

    assert result.records == 7
    assert _clusters(result) == [
        ([claire.pk, claire_again.pk], 95.0),
        ([shchukin.pk, chtchoukine.pk], 90.0),
        ([petrov.pk, petrov_latin.pk], 90.0),
    ]
    members = {m["id"]: m["reasons"] for c in result.clusters for m in c.members}
    assert members[claire.pk] == [matching.REASON_EMAIL, matching.REASON_NAME]
    assert members[petrov.pk] == [matching.REASON_PHONE, matching.REASON_NAME_TRANSLIT]
    assert members[chtchoukine.pk] == [matching.REASON_NAME_TRANSLIT]


def test_people_sharing_only_a_first_name_or_a_name_are_not_clustered(owner):
    for last in ("Иванов", "Петров", "Сидоров", "Smith"):
        make_contact(owner=owner, last_name=last, first_name="Пётр")
    make_contact(owner=owner, last_name="Ivanov", first_name="Petr")  # a namesake, nothing more

    result = scan.scan("contact")

    assert result.clusters == []


def test_companies_by_tax_id_and_name_but_not_across_different_tax_ids(owner):
    a = make_company(owner=owner, name="ООО «Ромашка»", inn=VALID_INN, kpp="773601001")
    b = make_company(owner=owner, name="Romashka LLC", inn=VALID_INN, kpp="773602001")
    c = make_company(owner=owner, name="Société Générale SA")
    d = make_company(owner=owner, name="SOCIETE GENERALE")
    make_company(owner=owner, name="ООО «Ромашка»", inn="7736050003")  # another Romashka

    result = scan.scan("company")

    assert _clusters(result) == [([a.pk, b.pk], 100.0), ([c.pk, d.pk], 90.0)]


def test_a_block_shared_too_widely_is_skipped_and_noted(owner):
    for index in range(4):
        make_contact(
            owner=owner, last_name=f"Person{index}", first_name="X", phones=["+73519990000"]
        )

    result = scan.scan("contact", max_block=3)

    assert result.skipped_blocks == [("p:+73519990000", 4)]
    assert result.clusters == []


def _run_scan(actor, object_type="contact"):
    job = Job.objects.create(
        kind=Job.Kind.DUPLICATE_SCAN, created_by=actor, params={"object_type": object_type}
    )
    run_job(job.pk)
    job.refresh_from_db()
    return job


def test_job_saves_clusters_replacing_open_ones_and_respects_dismissals(owner):
    admin = user_with_role("administrator")
    a = make_contact(owner=owner, last_name="Petrov", first_name="Oleg", phones=["+73511234567"])
    b = make_contact(owner=owner, last_name="Петров", first_name="Олег", phones=["+73511234567"])
    c = make_contact(owner=owner, last_name="Martin", first_name="Anne", emails=["anne@x.fr"])
    d = make_contact(owner=owner, last_name="Martin", first_name="Anne", emails=["anne@x.fr"])
    stale = DuplicateCluster.objects.create(object_type="contact", score=99, members=[])

    job = _run_scan(admin)

    assert job.status == Job.Status.DONE
    assert re.fullmatch(
        r"4 records scanned in \d+\.\d s: 2 groups of likely duplicates\.", job.message
    )
    open_clusters = DuplicateCluster.objects.filter(status="open").order_by("pk")
    assert not DuplicateCluster.objects.filter(pk=stale.pk).exists()
    assert sorted([m["id"] for m in cl.members] for cl in open_clusters) == sorted(
        [[a.pk, b.pk], [c.pk, d.pk]]
    )
    assert {cl.job_id for cl in open_clusters} == {job.pk}
    first = open_clusters.get(members__0__id=a.pk)
    first.status = DuplicateCluster.Status.DISMISSED
    first.save()

    _run_scan(admin)

    assert [
        [m["id"] for m in cl.members] for cl in DuplicateCluster.objects.filter(status="open")
    ] == [[c.pk, d.pk]]
    assert DuplicateCluster.objects.filter(status="dismissed").count() == 1


def test_a_cancelled_scan_leaves_the_previous_clusters(owner, monkeypatch):
    admin = user_with_role("administrator")
    make_contact(owner=owner, last_name="Petrov", first_name="Oleg", phones=["+73511234567"])
    make_contact(owner=owner, last_name="Petrov", first_name="Oleg", phones=["+73511234567"])
    previous = DuplicateCluster.objects.create(object_type="contact", score=95, members=[])
    job = Job.objects.create(
        kind=Job.Kind.DUPLICATE_SCAN, created_by=admin, params={"object_type": "contact"}
    )
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)

    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert list(DuplicateCluster.objects.values_list("pk", flat=True)) == [previous.pk]


def test_unknown_record_type_fails_the_job(owner):
    admin = user_with_role("administrator")

    job = _run_scan(admin, object_type="deal")

    assert job.status == Job.Status.FAILED
    assert DuplicateCluster.objects.count() == 0


def test_match_profiles_finds_existing_records_for_import_rows(owner):
    other = user_with_role("sales_manager")
    mine = make_contact(owner=owner, last_name="Щукин", first_name="Иван", phones=["+73511234567"])
    hidden = make_contact(owner=other, last_name="Shchukin", first_name="Ivan", emails=["i@x.ru"])
    rows = [
        matching.contact_profile(
            id=0, last_name="Chtchoukine", first_name="Ivan", phones=["8 351 123 45 67"]
        ),
        matching.contact_profile(id=0, last_name="Shchukin", first_name="Ivan", emails=["I@X.ru"]),
        matching.contact_profile(id=0, last_name="Nobody", first_name="Here"),
    ]
    from accord.parties.selectors import contacts_visible_to

    everything = scan.match_profiles("contact", rows)
    visible = scan.match_profiles("contact", rows, queryset=contacts_visible_to(owner))

    assert [[(pk, m.score) for pk, m in found] for found in everything] == [
        [(mine.pk, 90.0)],
        [(hidden.pk, 95.0)],
        [],
    ]
    assert [[pk for pk, _m in found] for found in visible] == [[mine.pk], [], []]
