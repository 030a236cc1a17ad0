"""The quote PDF: Cyrillic and French accents survive (text extracted back with pypdf), labels
in the quote's language, the right totals."""

import io
import os
from decimal import Decimal

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from accord.commerce import pdf
from accord.commerce.seller import get_seller_profile
from accord.commerce.tests.test_quotes_helpers import free_line, make_quote
from accord.core.testing import TeamFactory, user_with_role
from accord.parties.tests.factories import make_company

pytestmark = pytest.mark.django_db

# What the translators will write; a catalogue of our own keeps the test independent of them.
LABELS = {
    "fr": {"Unit price": "Prix unitaire", "Total": "Total TTC", "Description": "Désignation"},
    "ru": {"Unit price": "Цена", "Total": "Итого", "Description": "Наименование"},
}


@pytest.fixture
def translated_labels(settings, tmp_path):
    for language, messages in LABELS.items():
        catalog = Catalog(locale=language, domain="django")
        for source, target in messages.items():
            catalog.add(source, target)
        folder = tmp_path / "locale" / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with open(folder / "django.mo", "wb") as handle:
            write_mo(handle, catalog)
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _spaces(value: str) -> str:
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def test_russian_quote_prints_cyrillic_names_labels_and_totals(translated_labels):
    manager = user_with_role("sales_manager")
    company = make_company(
        owner=manager,
        name="ООО «Челябэнергопроект»",
        country="RU",
        inn="7451234565",
        kpp="745101001",
    )
    profile = get_seller_profile()
    profile.name = "ООО «Проектное бюро Север»"
    profile.inn = "7701234560"
    profile.save()
    quote = make_quote(
        owner=manager,
        company=company,
        lines=[free_line("Инженерные изыскания", "2", "1500.50", "10", "20")],
        discount_percent=Decimal("5"),
    )
    quote.refresh_from_db()

    data = pdf.quote_pdf(quote)
    text = _text(data)
    shots = os.environ.get("ACCORD_SCREENSHOTS")
    if shots:
        with open(f"{shots}/quote-ru.pdf", "wb") as handle:
            handle.write(data)

    assert quote.language == "ru"
    assert "ООО «Челябэнергопроект»" in text
    assert "ООО «Проектное бюро Север»" in text
    assert "Инженерные изыскания" in text
    assert "7451234565" in text and "745101001" in text
    assert "Цена" in text and "Наименование" in text and "Unit price" not in text
    # 2 × 1500.50 = 3001.00; −10 % = 2700.90; −5 % = 2565.855 → 2565.86; VAT 513.17
    assert quote.total == Decimal("3079.03")
    assert "Итого" in text and "3 079,03 ₽" in text
    assert _spaces(pdf.format_amount(Decimal("1500.50"), "ru")) in text  # "1 500,50"
    assert quote.number in text


def test_french_quote_prints_accents_labels_and_totals(translated_labels):
    manager = user_with_role("sales_manager")
    company = make_company(
        owner=manager, name="Société Générale d'Études", country="FR", siren="552120222"
    )
    quote = make_quote(
        owner=manager,
        company=company,
        lines=[free_line("Étude préalable — réseau électrique", "1", "1234.56", "0", "20")],
        currency="EUR",
        terms="Paiement à 30 jours, délai d'exécution : 6 semaines.",
    )
    quote.refresh_from_db()

    text = _text(pdf.quote_pdf(quote))

    assert quote.language == "fr"
    assert "Société Générale d'Études" in text
    assert "Étude préalable — réseau électrique" in text
    assert "délai d'exécution" in text
    assert "552120222" in text
    assert "Prix unitaire" in text and "Désignation" in text and "Цена" not in text
    assert "1 234,56" in text  # unit price in the French way
    assert quote.total == Decimal("1481.47")
    assert "Total TTC 1 481,47 €" in text


def test_logo_and_many_lines_make_a_numbered_multi_page_pdf(settings):
    manager = user_with_role("sales_manager")
    image = io.BytesIO()
    Image.new("RGB", (200, 80), "navy").save(image, "PNG")
    profile = get_seller_profile()
    profile.logo.save("logo.png", io.BytesIO(image.getvalue()), save=True)
    quote = make_quote(
        owner=manager,
        company=make_company(owner=manager, country="GB"),
        lines=[free_line(f"Sheet {n}", "1", "10.00") for n in range(1, 61)],
    )

    reader = PdfReader(io.BytesIO(pdf.quote_pdf(quote)))

    assert len(reader.pages) >= 2
    assert "Page 1 of" in reader.pages[0].extract_text()
    assert any("/Image" in str(page.get("/Resources", {})) for page in reader.pages[:1]) or (
        "/XObject" in str(reader.pages[0]["/Resources"])
    )


def test_pdf_download_is_scoped():
    team = TeamFactory()
    manager = user_with_role("sales_manager", team=team)
    stranger = user_with_role("sales_manager", team=TeamFactory())
    quote = make_quote(owner=manager)
    url = reverse("commerce:quote_pdf", args=[quote.pk])

    client = Client()
    client.force_login(manager)
    response = client.get(url)
    other = Client()
    other.force_login(stranger)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="{quote.number}.pdf"' in response["Content-Disposition"]
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:5]
        == b"%PDF-"
    )
    assert other.get(url).status_code == 404
