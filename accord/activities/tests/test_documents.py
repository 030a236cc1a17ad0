import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accord.activities import services
from accord.activities.models import Document
from accord.activities.tests.factories import make_activity
from accord.core.models import AuditEntry
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.tests.factories import make_company, make_contact

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def test_upload_keeps_original_name_and_stores_under_a_random_name(settings):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)

    document = services.document_upload(
        actor=manager,
        uploaded_file=SimpleUploadedFile("Договор №5.pdf", PDF),
        company=company,
        description="Contract",
    )

    assert document.original_name == "Договор №5.pdf"
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF)
    assert document.owner == manager
    assert document.file.name.startswith("documents/") and document.file.name.endswith(".pdf")
    assert "Договор" not in document.file.name
    assert (settings.MEDIA_ROOT / document.file.name).read_bytes() == PDF
    entry = AuditEntry.objects.get(object_type="document", object_id=document.pk)
    assert entry.related_id == company.pk


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("page.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("notes.txt", b"<html><body>hi</body></html>"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
        ("report.docx", b"%PDF-1.4 not a zip"),
        ("script.js", b"alert(1)"),
    ],
)
def test_refused_types_are_rejected_and_nothing_saved(name, content, settings):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)

    with pytest.raises(ValidationError) as info:
        services.document_upload(
            actor=manager, uploaded_file=SimpleUploadedFile(name, content), company=company
        )

    assert list(info.value.message_dict) == ["file"]
    assert "Allowed types: " in info.value.message_dict["file"][0]
    assert "dwg" in info.value.message_dict["file"][0]
    assert Document.objects.count() == 0
    assert not (settings.MEDIA_ROOT / "documents").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("plan.dwg", b"AC1032\x00\x00\x00\x00"),
        ("plan.dxf", b"  0\nSECTION\n  2\nHEADER\n"),
        ("sheet.xlsx", b"PK\x03\x04\x14\x00\x06\x00"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"),
        ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        ("list.csv", "Название;ИНН\nООО Ромашка;7707083893\n".encode()),
    ],
)
def test_accepted_types(name, content):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)

    document = services.document_upload(
        actor=manager, uploaded_file=SimpleUploadedFile(name, content), company=company
    )

    assert document.original_name == name


def test_upload_over_the_size_limit_is_rejected_naming_the_limit(settings):
    settings.ACCORD_UPLOAD_MAX_BYTES = 1024
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)

    with pytest.raises(ValidationError) as info:
        services.document_upload(
            actor=manager,
            uploaded_file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000),
            company=company,
        )

    assert info.value.message_dict["file"] == [
        "The file is too large (2.0\xa0KB); the limit is 1.0\xa0KB."
    ]
    assert Document.objects.count() == 0


def test_upload_to_an_invisible_company_or_without_add_permission_is_refused():
    manager = user_with_role("sales_manager", team=TeamFactory(name="A"))
    stranger_company = make_company(owner=user_with_role("sales_manager"))
    reader = user_with_role("read_only")
    file = SimpleUploadedFile("a.pdf", PDF)

    with pytest.raises(ValidationError) as info:
        services.document_upload(actor=manager, uploaded_file=file, company=stranger_company)
    assert info.value.message_dict == {"company": ["Company not found."]}
    with pytest.raises(PermissionDenied):
        services.document_upload(actor=reader, uploaded_file=file, company=stranger_company)
    assert Document.objects.count() == 0


def test_download_only_for_those_who_see_the_record(client):
    team = TeamFactory(name="Moscow")
    owner = user_with_role("sales_manager", team=team)
    teammate = user_with_role("sales_manager", team=team)
    outsider = user_with_role("sales_manager", team=TeamFactory(name="Paris"))
    company = make_company(owner=owner, team=team)
    document = services.document_upload(
        actor=owner, uploaded_file=SimpleUploadedFile("offer.pdf", PDF), company=company
    )
    url = reverse("activities:document_download", args=[document.pk])

    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("activities:document_download", args=[999999])).status_code == 404

    client.force_login(teammate)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="offer.pdf"'
    assert b"".join(response.streaming_content) == PDF


def test_upload_view_shows_errors_next_to_the_file_input(client):
    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    client.force_login(manager)

    response = client.post(
        reverse("activities:document_upload"),
        {"company": company.pk, "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00")},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_file_errors"' in html
    assert "does not match its extension .pdf" in html
    assert Document.objects.count() == 0


def test_upload_and_delete_through_the_views(client, settings, django_capture_on_commit_callbacks):
    manager = user_with_role("sales_manager")
    contact = make_contact(owner=manager)
    client.force_login(manager)

    response = client.post(
        reverse("activities:document_upload"),
        {"contact": contact.pk, "file": SimpleUploadedFile("memo.txt", b"hello")},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    document = Document.objects.get()
    assert document.contact == contact
    assert "memo.txt" in response.content.decode()
    listing = client.get(reverse("activities:contact_documents", args=[contact.pk]))
    assert "memo.txt" in listing.content.decode()
    stored = settings.MEDIA_ROOT / document.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("activities:document_delete", args=[document.pk]))

    assert response.status_code == 302
    assert Document.objects.count() == 0
    assert not stored.exists()


def test_a_file_can_be_attached_to_an_activity_from_its_page(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accord.activities.models import Document

    manager = user_with_role("sales_manager")
    company = make_company(owner=manager)
    call = make_activity(owner=manager, kind="call", company=company)
    client.force_login(manager)

    page = client.get(reverse("activities:activity_detail", args=[call.pk])).content.decode()
    response = client.post(
        reverse("activities:document_upload"),
        {
            "activity": call.pk,
            "next": f"/activities/{call.pk}/",
            "file": SimpleUploadedFile(
                "minutes.txt", b"Agreed stage P.", content_type="text/plain"
            ),
        },
    )

    assert 'name="activity"' in page
    assert response.status_code == 302 and response["Location"] == f"/activities/{call.pk}/"
    document = Document.objects.get()
    assert (document.activity, document.company, document.original_name) == (
        call,
        company,
        "minutes.txt",
    )
