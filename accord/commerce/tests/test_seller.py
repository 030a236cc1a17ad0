import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accord.commerce.models import SellerProfile
from accord.commerce.seller import get_seller_profile, seller_profile_update
from accord.core.models import AuditEntry
from accord.core.testing import user_with_role

pytestmark = pytest.mark.django_db


def _png(width: int = 120, height: int = 40) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_a_default_row_is_created_once():
    SellerProfile.objects.all().delete()
    first = get_seller_profile()
    second = get_seller_profile()
    assert first.pk == second.pk and SellerProfile.objects.count() == 1
    assert first.name and first.quote_validity_days == 30


def test_administrator_edits_details_and_logo_audited():
    admin = user_with_role("administrator")

    profile = seller_profile_update(
        actor=admin,
        fields={"name": "Bureau Nord", "inn": "7701234560", "country": "ru"},
        logo=SimpleUploadedFile("logo.png", _png(), content_type="image/png"),
    )

    assert (profile.name, profile.inn, profile.country) == ("Bureau Nord", "7701234560", "RU")
    assert profile.logo.name.startswith("letterhead/logo")
    entry = AuditEntry.objects.get(object_type="commerce.sellerprofile")
    assert entry.changes["name"][1] == "Bureau Nord" and entry.actor == admin


def test_a_fake_image_or_a_huge_one_is_refused_naming_the_logo_and_nothing_changes():
    admin = user_with_role("administrator")
    before = get_seller_profile().name

    with pytest.raises(ValidationError) as fake:
        seller_profile_update(
            actor=admin,
            fields={"name": "Changed"},
            logo=SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png"),
        )
    with pytest.raises(ValidationError) as huge:
        seller_profile_update(
            actor=admin,
            fields={"name": "Changed"},
            logo=SimpleUploadedFile("logo.png", _png(5000, 10), content_type="image/png"),
        )

    assert list(fake.value.message_dict) == ["logo"] and list(huge.value.message_dict) == ["logo"]
    assert get_seller_profile().name == before and not get_seller_profile().logo


def test_only_administrators_may_edit(client):
    manager = user_with_role("sales_manager")
    with pytest.raises(PermissionDenied):
        seller_profile_update(actor=manager, fields={"name": "Mine"})
    client.force_login(manager)
    assert client.get(reverse("commerce:seller_profile")).status_code == 403


def test_the_page_saves_and_shows_errors_next_to_fields(client):
    admin = user_with_role("administrator")
    client.force_login(admin)
    url = reverse("commerce:seller_profile")
    data = {
        "name": "ООО «Проектное бюро»",
        "country": "RU",
        "email": "not-an-email",
        "quote_validity_days": "20",
        "payment_terms_days": "10",
    }

    page = client.get(url)
    refused = client.post(url, data)
    saved = client.post(url, {**data, "email": "office@bureau.example", "logo_upload": ""})

    assert page.status_code == 200
    assert refused.status_code == 200 and "id_email_errors" in refused.content.decode()
    assert saved.status_code == 302
    profile = get_seller_profile()
    assert (profile.name, profile.quote_validity_days) == ("ООО «Проектное бюро»", 20)
