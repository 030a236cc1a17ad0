"""The work-order API: list scope, create, status, time entries and materials, errors."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image

from accord.core.testing import assert_num_queries, user_with_role
from accord.fieldservice.models import MaterialUse, TimeEntry, WorkOrder
from accord.fieldservice.tests.factories import make_case, make_work_order

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


@pytest.fixture
def manager():
    return user_with_role("service_manager")


@pytest.fixture
def engineer():
    return user_with_role("field_engineer")


def test_list_is_scoped_and_queries_are_fixed(client, manager, engineer):
    other = user_with_role("field_engineer")
    mine = [make_work_order(actor=manager, lead=engineer) for _ in range(3)]
    make_work_order(actor=manager, lead=other)
    client.force_login(engineer)
    client.get("/api/work-orders")
    with assert_num_queries(5):
        response = client.get("/api/work-orders?limit=2")
    body = response.json()
    assert [item["id"] for item in body["items"]] == [mine[2].pk, mine[1].pk]
    following = client.get(f"/api/work-orders?limit=2&after={body['next']}").json()
    assert [item["id"] for item in following["items"]] == [mine[0].pk]
    assert following["next"] is None


def test_create_status_time_and_materials(client, manager, engineer):
    case = make_case()
    client.force_login(manager)
    start = (timezone.now() + 24 * H).replace(microsecond=0)
    response = client.post(
        "/api/work-orders",
        {
            "case": case.pk,
            "scheduled_start": start.isoformat(),
            "lead_engineer": engineer.pk,
            "checklist": ["Check pressure"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["number"] == f"WO-{created['id']}"
    assert created["engineers"] == [{"user": engineer.pk, "name": str(engineer), "is_lead": True}]
    assert [step["text"] for step in created["checklist"]] == ["Check pressure"]
    pk = created["id"]

    client.force_login(engineer)
    illegal = client.post(
        f"/api/work-orders/{pk}/status", {"status": "done"}, content_type="application/json"
    )
    assert illegal.status_code == 422
    assert illegal.json()["detail"][0]["field"] == "status"

    begun = timezone.now().replace(microsecond=0) - 3 * H
    negative = client.post(
        f"/api/work-orders/{pk}/time-entries",
        {"started_at": begun.isoformat(), "ended_at": (begun - H).isoformat()},
        content_type="application/json",
    )
    assert negative.status_code == 422
    assert negative.json()["detail"] == [
        {
            "field": "ended_at",
            "messages": ["The end must be after the start: time cannot be negative."],
        }
    ]
    logged = client.post(
        f"/api/work-orders/{pk}/time-entries",
        {"started_at": begun.isoformat(), "ended_at": (begun + H).isoformat()},
        content_type="application/json",
    )
    assert logged.status_code == 201
    assert logged.json()["duration_seconds"] == 3600

    material = client.post(
        f"/api/work-orders/{pk}/materials",
        {"description": "Gasket", "quantity": "2", "unit_cost": "150.25"},
        content_type="application/json",
    )
    assert material.status_code == 201
    assert material.json()["total"] == "300.50"
    zero = client.post(
        f"/api/work-orders/{pk}/materials",
        {"description": "Gasket", "quantity": "0", "unit_cost": "1"},
        content_type="application/json",
    )
    assert zero.status_code == 422
    assert MaterialUse.objects.count() == 1

    started = client.post(
        f"/api/work-orders/{pk}/time-entries/start",
        {"kind": "work"},
        content_type="application/json",
    )
    assert started.status_code == 201
    stopped = client.post(f"/api/work-orders/{pk}/time-entries/stop")
    assert stopped.status_code == 200
    assert stopped.json()["ended_at"] is not None

    client.post(
        f"/api/work-orders/{pk}/status", {"status": "in_progress"}, content_type="application/json"
    )
    done = client.post(
        f"/api/work-orders/{pk}/status", {"status": "done"}, content_type="application/json"
    ).json()
    assert done["status"] == "done"
    assert done["labour_cost"] >= "3500.00"
    assert done["materials_cost"] == "300.50"
    assert TimeEntry.objects.filter(ended_at__isnull=True).count() == 0


def test_stranger_gets_404_and_reader_403(client, manager, engineer):
    work_order = make_work_order(actor=manager, lead=engineer)
    client.force_login(user_with_role("field_engineer"))
    assert client.get(f"/api/work-orders/{work_order.pk}").status_code == 404
    client.force_login(user_with_role("read_only"))
    assert client.get(f"/api/work-orders/{work_order.pk}").status_code == 200
    response = client.post(
        f"/api/work-orders/{work_order.pk}/status",
        {"status": "travelling"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert WorkOrder.objects.get().status == "scheduled"


def test_photo_upload_checks_the_image(client, manager, engineer):
    work_order = make_work_order(actor=manager, lead=engineer)
    client.force_login(engineer)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    buffer.name = "site.jpg"
    buffer.seek(0)
    ok = client.post(
        f"/api/work-orders/{work_order.pk}/photos", {"image": buffer, "caption": "Site"}
    )
    assert ok.status_code == 201
    assert ok.json()["content_type"] == "image/jpeg"
    fake = io.BytesIO(b"not an image")
    fake.name = "fake.jpg"
    bad = client.post(f"/api/work-orders/{work_order.pk}/photos", {"image": fake})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "image"


def test_time_entry_correction_over_the_api(client, manager, engineer):
    work_order = make_work_order(actor=manager, lead=engineer)
    begun = timezone.now().replace(microsecond=0) - 5 * H
    client.force_login(engineer)
    created = client.post(
        f"/api/work-orders/{work_order.pk}/time-entries",
        {"started_at": begun.isoformat(), "ended_at": (begun + H).isoformat()},
        content_type="application/json",
    ).json()
    too_long = client.patch(
        f"/api/work-orders/{work_order.pk}/time-entries/{created['id']}",
        {"started_at": (begun - 30 * H).isoformat(), "ended_at": begun.isoformat()},
        content_type="application/json",
    )
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["field"] == "ended_at"
    fixed = client.patch(
        f"/api/work-orders/{work_order.pk}/time-entries/{created['id']}",
        {
            "started_at": begun.isoformat(),
            "ended_at": (begun + 2 * H).isoformat(),
            "kind": "travel",
        },
        content_type="application/json",
    )
    assert fixed.status_code == 200
    assert (fixed.json()["kind"], fixed.json()["duration_seconds"]) == ("travel", 7200)
    assert client.get(f"/api/work-orders/{work_order.pk}").json()["travel_seconds"] == 7200
