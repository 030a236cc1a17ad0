"""The quote as a PDF (S4): our letterhead, the client's details, the lines and the totals,
in the quote's language.

Fonts come from the ``font_roboto`` package and are embedded as TrueType, so Cyrillic and
French accents print (the PDF standard fonts cover neither). Labels are translated with the
quote's language active, amounts formatted for it with Babel.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from babel.numbers import format_currency, format_decimal
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from accord.commerce.models import Quote, SellerProfile
from accord.commerce.seller import get_seller_profile

FONT = "AccordRoboto"
FONT_BOLD = "AccordRoboto-Bold"
_fonts_registered = False


def register_fonts() -> None:
    """Register Roboto (regular and bold) once per process."""
    global _fonts_registered
    if _fonts_registered:
        return
    import font_roboto
    from reportlab.lib.fonts import addMapping

    files = font_roboto.font_files
    pdfmetrics.registerFont(TTFont(FONT, files["Roboto"]))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, files["RobotoBold"]))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
    _fonts_registered = True


def _plain_spaces(text: str) -> str:
    # Babel groups digits with a narrow no-break space in French; print a plain no-break one.
    return text.replace("\u202f", "\u00a0")


def format_amount(value: Decimal, language: str) -> str:
    """An amount with two decimals, grouped the way the language writes numbers."""
    return _plain_spaces(format_decimal(value, format="#,##0.00", locale=language))


def format_money(value: Decimal, currency: str, language: str) -> str:
    """An amount with its currency, the way the language writes it."""
    return _plain_spaces(format_currency(value, currency, locale=language))


def format_number(value: Decimal, language: str) -> str:
    """A quantity or a percentage without useless trailing zeros."""
    normalized = value.normalize()
    if normalized == normalized.to_integral():
        normalized = normalized.quantize(Decimal("1"))
    return _plain_spaces(format_decimal(normalized, locale=language))


class _NumberedCanvas(pdf_canvas.Canvas):
    """Writes "Page n of m" once the number of pages is known."""

    page_label = "%(page)s / %(pages)s"
    footer_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        width, _height = A4
        self.setFont(FONT, 7.5)
        self.setFillColor(colors.grey)
        if self.footer_text:
            self.drawString(18 * mm, 10 * mm, self.footer_text[:150])
        self.drawRightString(
            width - 18 * mm,
            10 * mm,
            self.page_label % {"page": self._pageNumber, "pages": total},
        )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "small_right": ParagraphStyle(
            "small_right", parent=base, fontSize=7.5, leading=9.5, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=19, spaceAfter=4
        ),
        "heading": ParagraphStyle("heading", parent=base, fontName=FONT_BOLD, fontSize=9.5),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "right_bold": ParagraphStyle(
            "right_bold", parent=base, alignment=TA_RIGHT, fontName=FONT_BOLD
        ),
    }


def _text(value: Any) -> str:
    return escape(str(value or "")).replace("\n", "<br/>")


def _tax_ids(entity: Any) -> list[str]:
    pairs = [
        (_("INN"), getattr(entity, "inn", "")),
        (_("KPP"), getattr(entity, "kpp", "")),
        (_("OGRN"), getattr(entity, "ogrn", "")),
        (_("SIREN"), getattr(entity, "siren", "")),
        (_("SIRET"), getattr(entity, "siret", "")),
        (_("VAT number"), getattr(entity, "vat_number", "")),
    ]
    return [f"{label}: {escape(value)}" for label, value in pairs if value]


def _letterhead(seller: SellerProfile, styles: dict[str, ParagraphStyle]) -> Table:
    lines = [f"<b>{_text(seller.legal_name or seller.name)}</b>"]
    if seller.address:
        lines.append(_text(seller.address))
    contact = " · ".join(_text(v) for v in (seller.phone, seller.email, seller.website) if v)
    if contact:
        lines.append(contact)
    ids = _tax_ids(seller)
    if ids:
        lines.append(", ".join(ids))
    details = Paragraph("<br/>".join(lines), styles["small_right"])
    logo: Any = ""
    if seller.logo:
        try:
            with seller.logo.open("rb") as handle:
                data = io.BytesIO(handle.read())
            image = Image(data)
            ratio = min(45 * mm / image.imageWidth, 20 * mm / image.imageHeight)
            image.drawWidth = image.imageWidth * ratio
            image.drawHeight = image.imageHeight * ratio
            logo = image
        except (OSError, ValueError, ZeroDivisionError):
            logo = ""
    table = Table([[logo, details]], colWidths=[60 * mm, 114 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#1f4e79")),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 6),
            ]
        )
    )
    return table


def _client_block(quote: Quote, styles: dict[str, ParagraphStyle]) -> Paragraph:
    company = quote.company
    lines = [f"<b>{_text(company.legal_name or company.name)}</b>"]
    if company.legal_name and company.legal_name != company.name:
        lines.append(_text(company.name))
    addresses = list(company.addresses.all())
    address = next((a for a in addresses if a.kind == "legal"), addresses[0] if addresses else None)
    if address is not None:
        lines.append(_text(address))
    ids = _tax_ids(company)
    if ids:
        lines.append(", ".join(ids))
    if quote.contact is not None:
        lines.append(
            _("Attention: %(name)s") % {"name": _text(quote.contact)}
            + (f", {_text(quote.contact.position)}" if quote.contact.position else "")
        )
    return Paragraph(f"<b>{escape(_('Client'))}</b><br/>" + "<br/>".join(lines), styles["base"])


def _lines_table(quote: Quote, lines: list[Any], styles: dict[str, ParagraphStyle]) -> Table:
    language = quote.language
    header = [
        pgettext("line number", "No."),
        _("Description"),
        _("Qty"),
        _("Unit"),
        _("Unit price"),
        _("Discount"),
        _("Net"),
        _("VAT"),
    ]
    rows: list[list[Any]] = [
        [
            Paragraph(f"<b>{escape(h)}</b>", styles["small" if i < 2 else "small_right"])
            for i, h in enumerate(header)
        ]
    ]
    for line in lines:
        description = _text(line.description)
        options = [
            f"{_text(option.get('group', ''))}: {_text(option.get('name', option.get('code', '')))}"
            for option in (line.configuration or [])
            if isinstance(option, dict)
        ]
        if options:
            description += "<br/><font size=7.5>" + "<br/>".join(options) + "</font>"
        rows.append(
            [
                str(line.position),
                Paragraph(description, styles["base"]),
                format_number(line.quantity, language),
                line.get_unit_display(),
                format_amount(line.unit_price, language),
                f"{format_number(line.discount_percent, language)} %"
                if line.discount_percent
                else "",
                format_amount(line.net_amount, language),
                f"{format_number(line.tax_rate, language)} %",
            ]
        )
    widths = [10 * mm, 54 * mm, 14 * mm, 12 * mm, 22 * mm, 18 * mm, 26 * mm, 18 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c0c8d0")),
            ]
        )
    )
    return table


def _totals_table(quote: Quote, lines: list[Any], styles: dict[str, ParagraphStyle]) -> Table:
    from accord.commerce import pricing

    language, currency = quote.language, quote.currency
    totals = pricing.compute(lines, quote.discount_percent)
    rows: list[list[str]] = [
        [_("Subtotal"), format_money(quote.subtotal, currency, language)],
    ]
    if quote.discount_percent:
        rows.append(
            [
                _("Discount on the quote: %(percent)s %%")
                % {"percent": format_number(quote.discount_percent, language)},
                "",
            ]
        )
    if quote.discount_total:
        rows.append([_("Discounts"), "−" + format_money(quote.discount_total, currency, language)])
    rows.append(
        [_("Total before VAT"), format_money(quote.total - quote.tax_total, currency, language)]
    )
    for rate, net, tax in totals.tax_by_rate:
        rows.append(
            [
                _("VAT %(rate)s %% on %(net)s")
                % {
                    "rate": format_number(rate, language),
                    "net": format_money(net, currency, language),
                },
                format_money(tax, currency, language),
            ]
        )
    rows.append([_("Total"), format_money(quote.total, currency, language)])
    cells = [
        [Paragraph(escape(label), styles["right"]), Paragraph(escape(value), styles["right"])]
        for label, value in rows
    ]
    cells[-1] = [
        Paragraph(escape(rows[-1][0]), styles["right_bold"]),
        Paragraph(escape(rows[-1][1]), styles["right_bold"]),
    ]
    table = Table(cells, colWidths=[120 * mm, 54 * mm])
    table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black)]))
    return table


def quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF bytes, in the quote's language. The caller has already checked that
    the reader may see the quote (``get_quote_for``)."""
    register_fonts()
    seller = get_seller_profile()
    lines = list(quote.lines.select_related("product").order_by("position", "id"))
    buffer = io.BytesIO()
    with override(quote.language):
        styles = _styles()
        title = _("Quote %(number)s") % {"number": quote.number}
        if quote.revision > 1:
            title += " " + _("(revision %(revision)s)") % {"revision": quote.revision}
        facts = [
            _("Date: %(date)s") % {"date": date_format((quote.sent_at or quote.created_at).date())},
        ]
        if quote.valid_until:
            facts.append(_("Valid until: %(date)s") % {"date": date_format(quote.valid_until)})
        facts.append(_("Currency: %(currency)s") % {"currency": quote.currency})
        story: list[Any] = [
            _letterhead(seller, styles),
            Spacer(1, 6 * mm),
            Paragraph(escape(title), styles["title"]),
            Paragraph(" · ".join(escape(f) for f in facts), styles["base"]),
            Spacer(1, 4 * mm),
            _client_block(quote, styles),
            Spacer(1, 5 * mm),
            _lines_table(quote, lines, styles),
            Spacer(1, 3 * mm),
            _totals_table(quote, lines, styles),
        ]
        if quote.terms:
            story += [
                Spacer(1, 5 * mm),
                Paragraph(f"<b>{escape(_('Terms and conditions'))}</b>", styles["heading"]),
                Paragraph(_text(quote.terms), styles["base"]),
            ]
        if seller.bank_details:
            story += [
                Spacer(1, 4 * mm),
                Paragraph(f"<b>{escape(_('Bank details'))}</b>", styles["heading"]),
                Paragraph(_text(seller.bank_details), styles["small"]),
            ]
        if seller.quote_footer:
            story += [Spacer(1, 4 * mm), Paragraph(_text(seller.quote_footer), styles["small"])]
        page_label = _("Page %(page)s of %(pages)s")
        footer = f"{seller.name} · {quote}"

        class Canvas(_NumberedCanvas):
            pass

        Canvas.page_label = page_label
        Canvas.footer_text = footer
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
            title=title,
            author=seller.name,
        )
        document.build(story, canvasmaker=Canvas)
    return buffer.getvalue()


def quote_filename(quote: Quote) -> str:
    """A file name the client's mail program shows: Q-2026-00042-2.pdf."""
    suffix = f"-{quote.revision}" if quote.revision > 1 else ""
    return f"{quote.number}{suffix}.pdf"
