import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accord.core import services
from accord.core.export import safe_cell
from accord.core.lists import decode_cursor, encode_cursor
from accord.core.models import SavedView
from accord.core.testing import user_with_role
from accord.parties.models import Company


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+7 351 123", "'+7 351 123"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Челябэнергопроект", "Челябэнергопроект"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "1"),
        (12, "12"),
    ],
)
def test_safe_cell_defuses_spreadsheet_formulas(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.django_db
def test_cursor_round_trips_and_rejects_garbage():
    moment = timezone.make_aware(datetime.datetime(2026, 1, 2, 3, 4, 5))

    assert decode_cursor(encode_cursor("Ёлка", 7), Company, "name") == ("Ёлка", 7)
    assert decode_cursor(encode_cursor(moment, 9), Company, "updated_at") == (moment, 9)
    assert decode_cursor("not-a-cursor!", Company, "name") is None


@pytest.mark.django_db
def test_saved_view_save_creates_then_overwrites_by_name_without_position():
    user = user_with_role("sales_manager")

    first = services.saved_view_save(
        actor=user, list_key="companies", name="RU", query="country=RU&after=abc", columns=[]
    )
    second = services.saved_view_save(
        actor=user,
        list_key="companies",
        name="RU",
        query="country=RU&sort=-updated",
        columns=["name", "owner"],
    )

    assert first.pk == second.pk
    assert SavedView.objects.count() == 1
    view = SavedView.objects.get()
    assert (view.user, view.query, view.columns) == (
        user,
        "country=RU&sort=-updated",
        ["name", "owner"],
    )


@pytest.mark.django_db
def test_saved_view_needs_a_name_and_only_the_owner_deletes_it():
    owner = user_with_role("sales_manager")
    intruder = user_with_role("head_of_sales")

    with pytest.raises(ValidationError) as info:
        services.saved_view_save(actor=owner, list_key="companies", name="  ", query="", columns=[])
    assert "name" in info.value.message_dict
    view = services.saved_view_save(
        actor=owner, list_key="companies", name="Mine", query="", columns=[]
    )
    with pytest.raises(PermissionDenied):
        services.saved_view_delete(actor=intruder, view=view)
    assert SavedView.objects.filter(pk=view.pk).exists()

    services.saved_view_delete(actor=owner, view=view)
    assert not SavedView.objects.exists()


@pytest.mark.django_db
def test_saved_view_pages_save_list_and_delete(client):
    user = user_with_role("sales_manager")
    other = user_with_role("sales_manager")
    client.force_login(user)

    response = client.post(
        reverse("saved_view_save", args=["companies"]),
        {"name": "French", "query": "country=FR&cols=name,owner"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("parties:company_list") + "?country=FR&cols=name%2Cowner"
    view = SavedView.objects.get(user=user)
    assert view.columns == ["name", "owner"]
    page = client.get(reverse("parties:company_list")).content.decode()
    assert "French" in page
    assert client.get(reverse("saved_view_save", args=["companies"])).status_code == 405
    assert client.post(reverse("saved_view_save", args=["nope"]), {"name": "x"}).status_code == 404

    client.force_login(other)
    assert client.post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "French" not in client.get(reverse("parties:company_list")).content.decode()

    client.force_login(user)
    response = client.post(reverse("saved_view_delete", args=[view.pk]))
    assert response.status_code == 302
    assert not SavedView.objects.exists()
