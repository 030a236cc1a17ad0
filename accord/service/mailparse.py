"""Reading incoming mail: RFC 5322 bytes to a ``ParsedMail`` that never loses the text.

Uses the stdlib ``email`` package (``policy.default``; the ``compat32`` view of the same bytes
for headers the modern parser cannot decode). Charsets are checked, not trusted: text that
is valid UTF-8 is UTF-8 whatever the declaration; a declared charset that produces mojibake
(Windows-1251 sent as Latin-1, KOI8-R sent as Windows-1251) is replaced by what
charset-normalizer detects. A multipart whose boundary parameter is missing gets its boundary
guessed from the body; truncated base64 is decoded as far as it goes. Every such repair is
listed in ``ParsedMail.problems`` so the case can say what arrived damaged.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accord.service.sanitize import sanitize_html

MEGABYTE = 1024 * 1024
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
# Single-byte charsets decode any bytes without error, so a wrong declaration never shows as
# a decoding error: text whose charset-normalizer "mess" ratio reaches this is re-detected.
MESS_THRESHOLD = 0.2


def max_attachment_bytes() -> int:
    """The mail limit, never above what a case accepts (``ACCORD_CASE_MAX_ATTACHMENT_MB``)."""
    from accord.service.services import max_attachment_bytes as case_limit

    mail_limit = int(float(getattr(settings, "ACCORD_MAIL_MAX_ATTACHMENT_MB", 20)) * MEGABYTE)
    return min(mail_limit, case_limit())


def format_size(size: int) -> str:
    if size >= MEGABYTE:
        return _("%(size).1f MB") % {"size": size / MEGABYTE}
    if size >= 1024:
        return _("%(size).1f KB") % {"size": size / 1024}
    return _("%(size)d bytes") % {"size": size}


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    data: bytes
    content_id: str = ""
    is_inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    """What ``parse_mail`` could read from one message; ``problems`` says what it could not."""

    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    auto_submitted: str = ""
    precedence: str = ""
    return_path: str = ""
    content_type: str = ""
    auto_reply_header: bool = False
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    size: int = 0

    @property
    def auto_reason(self) -> str:
        """Why this message is machine-sent (auto-reply, bounce, bulk) — or ``""``."""
        sender = self.from_address.lower().split("@")[0]
        if sender in BOUNCE_SENDERS or self.content_type == "multipart/report":
            return pgettext("ignored mail", "bounce")
        if self.auto_submitted and self.auto_submitted.lower() != "no":
            return pgettext("ignored mail", "auto-reply")
        if self.auto_reply_header:
            return pgettext("ignored mail", "auto-reply")
        if self.precedence.lower() in ("bulk", "junk", "auto_reply"):
            return pgettext("ignored mail", "bulk mail")
        if self.return_path == "<>":
            return pgettext("ignored mail", "bounce")
        return ""

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.delivered_to]


# --------------------------------------------------------------------------------------------
# Decoding helpers
# --------------------------------------------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    aliases = {
        "cp-1251": "cp1251",
        "win-1251": "cp1251",
        "x-cp1251": "cp1251",
        "unicode-1-1-utf-7": "utf-7",
    }
    name = aliases.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _charset_label(codec: str) -> str:
    """The name people know: ``windows-1251`` rather than Python's ``cp1251``."""
    name = codec.replace("_", "-").lower()
    if re.fullmatch(r"cp125\d", name):
        return f"windows-{name[2:]}"
    return name


def decode_text(data: bytes, declared: str | None) -> tuple[str, str]:
    """Decode ``data``; return the text and, when the declared charset was wrong or unknown,
    the charset actually used (else ``""``). Never raises, never drops the text."""
    if not data:
        return "", ""
    try:
        return data.decode("ascii"), ""
    except UnicodeDecodeError:
        pass
    codec = _codec(declared)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Random 8-bit text is almost never valid UTF-8: a declared single-byte charset is wrong.
        return text.lstrip("\ufeff"), ("utf-8" if declared and codec != "utf-8" else "")
    if codec and codec != "utf-8":
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            if mess_ratio(text, 1.0) < MESS_THRESHOLD:
                return text, ""
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), _charset_label(best.encoding)
    fallback = codec or "utf-8"
    return data.decode(fallback, errors="replace"), fallback


def _decode_raw_header(value: str) -> str:
    """A header as the compat32 parser sees it: RFC 2047 words and raw 8-bit bytes."""
    pieces: list[str] = []
    try:
        parts = decode_header(value)
    except (ValueError, LookupError, binascii.Error):
        parts = [(value, None)]
    for chunk, charset in parts:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8", "surrogateescape")
        pieces.append(decode_text(chunk, charset)[0])
    return "".join(pieces)


def _header(message: Message, fallback: Message | None, name: str) -> str:
    """A decoded header; broken encodings fall back to the compat32 view of the same bytes."""
    text: str | None
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # any header the parser chokes on is re-read below
        text = None
    if text is not None and not _needs_redecoding(text):
        return _clean_header(text)
    raw = fallback.get(name) if fallback is not None else None
    if raw is None:
        return ""
    if not isinstance(raw, str):
        try:
            return _clean_header(str(make_header(decode_header(str(raw)))))
        except Exception:
            return _clean_header(str(raw))
    return _clean_header(_decode_raw_header(raw))


def _needs_redecoding(text: str) -> bool:
    """Raw 8-bit bytes (surrogates) or an encoded word in the wrong charset (mojibake)."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        return True
    return not text.isascii() and mess_ratio(text, 1.0) >= MESS_THRESHOLD


def _clean_header(value: str) -> str:
    value = re.sub(r"[\r\n\t]+", " ", value)
    return re.sub(r"[\x00-\x1f\x7f]", "", value).strip()


def _addresses(value: str) -> list[tuple[str, str]]:
    found = []
    for name, address in getaddresses([value]):
        address = address.strip().strip("<>").strip()
        if "@" in address:
            found.append((name.strip(), address))
    return found


def _message_ids(value: str) -> list[str]:
    ids = re.findall(r"<[^<>\s]+>", value)
    if not ids and value.strip():
        ids = [f"<{token.strip('<>')}>" for token in value.split() if "@" in token]
    return ids


def _lenient_base64(payload: str) -> tuple[bytes, bool]:
    """Decode base64 as far as it goes; the flag tells whether the data was damaged."""
    compact = re.sub(r"\s", "", payload)
    body, _padding, rest = compact.partition("=")
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", body)
    remainder = len(cleaned) % 4
    damaged = len(cleaned) != len(body) or remainder == 1 or bool(rest.strip("="))
    if not _padding and remainder:
        damaged = True
    if remainder == 1:
        cleaned = cleaned[:-1]
    elif remainder:
        cleaned += "=" * (4 - remainder)
    try:
        return base64.b64decode(cleaned), damaged
    except binascii.Error:
        return b"", True


def _payload_bytes(part: Message) -> tuple[bytes, bool]:
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding == "base64":
        raw = part.get_payload(decode=False)
        if isinstance(raw, list):
            return b"", True
        return _lenient_base64(str(raw))
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data, False
    raw = part.get_payload(decode=False)
    return (str(raw).encode("utf-8", "surrogateescape") if raw else b""), False


# --------------------------------------------------------------------------------------------
# HTML to text (for HTML-only mail)
# --------------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "table", "ul", "ol", "hr", "section", "article", "header", "footer", "dt", "dd",
}  # fmt: skip
_SKIPPED_TAGS = {"script", "style", "head", "title", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")
            if tag == "li":
                self.chunks.append("- ")
        elif tag in ("td", "th"):
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS and tag not in ("li", "tr", "dt", "dd"):
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: paragraphs and line breaks kept, markup gone."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # html.parser is lenient; this is the last resort
        return unescape(re.sub(r"<[^>]+>", " ", html)).strip()
    lines = [
        re.sub(r"[ \t\xa0]+", " ", line).strip() for line in "".join(extractor.chunks).split("\n")
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------


def _filename(part: Message, index: int, content_type: str, content_id: str) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name:
        try:
            name = str(part.get_param("name", "", header="content-type") or "")
        except Exception:
            name = ""
    if "=?" in name:
        name = _decode_raw_header(name)
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        name = decode_text(name.encode("utf-8", "surrogateescape"), None)[0]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    name = name.strip(". ")
    if not name:
        stem = re.sub(r"[^A-Za-z0-9._-]", "", content_id.split("@")[0]) or f"attachment-{index}"
        extension = mimetypes.guess_extension(content_type) or ".bin"
        if content_type == "message/rfc822":
            extension = ".eml"
        name = stem if stem.endswith(extension) else f"{stem}{extension}"
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = (
            f"{stem[: 250 - len(extension)]}.{extension}"
            if dot and len(extension) < 10
            else name[:255]
        )
    return name


def _leaves(part: Message) -> Iterator[Message]:
    """Parts that carry content, depth first; an attached e-mail stays one attachment."""
    if part.get_content_type() == "message/rfc822" and part is not None:
        yield part
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _leaves(sub)
        return
    yield part


_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,70}?)(--)?\s*$", re.MULTILINE)


def _repair_boundary(raw: bytes) -> bytes | None:
    """A multipart message whose Content-Type lost its boundary: guess it from the body."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        head, separator, body = raw.partition(b"\n\n")
    match = _BOUNDARY_LINE.search(body)
    if not match:
        return None
    boundary = match.group(1)
    patched, count = re.subn(
        rb"(?im)^(content-type:[ \t]*multipart/[a-z-]+)[^\r\n]*",
        rb'\1; boundary="' + boundary.replace(b"\\", b"") + b'"',
        head,
        count=1,
    )
    return patched + separator + body if count else None


def _defect_names(part: Message) -> set[str]:
    return {type(defect).__name__ for defect in getattr(part, "defects", [])}


_STRUCTURE_DEFECTS = {
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "MissingHeaderBodySeparatorDefect",
}


MAX_PARTS = 1000
MAX_BOUNDARIES = 50
_PART_LINE = re.compile(rb"^--\S", re.MULTILINE)
_BOUNDARY_PARAMETER = re.compile(rb"boundary\s*=", re.IGNORECASE)


def structure_refusal(raw: bytes) -> str:
    """Why a message is refused before parsing — a MIME bomb (thousands of parts, or parts
    nested hundreds deep) that would tie the parser up for minutes — or ``""``."""
    parts = len(_PART_LINE.findall(raw))
    if parts > MAX_PARTS:
        return _("The message has %(count)s parts; at most %(limit)s are accepted.") % {
            "count": parts,
            "limit": MAX_PARTS,
        }
    if len(_BOUNDARY_PARAMETER.findall(raw)) > MAX_BOUNDARIES:
        return _("The message nests more than %(limit)s levels of parts.") % {
            "limit": MAX_BOUNDARIES
        }
    return ""


def parse_mail(raw: bytes, *, attachment_limit: int | None = None) -> ParsedMail:
    """Read one RFC 5322 message. Never raises for malformed input; see ``problems``."""
    limit = max_attachment_bytes() if attachment_limit is None else attachment_limit
    try:
        return _parse(raw, limit)
    except RecursionError:
        # Read the headers as they are and the body as plain text: no MIME, no recursion.
        head, _separator, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
        head = _MIME_HEADERS.sub(b"", head)
        parsed = _parse(head + b"\nContent-Type: text/plain\n\n" + body, limit)
        parsed.size = len(raw)
        parsed.problems.append(
            _("The message's parts are nested too deeply to read; its raw body was kept as text.")
        )
        return parsed


_MIME_HEADERS = re.compile(
    rb"^content-(type|transfer-encoding):[^\n]*(\n[ \t][^\n]*)*\n?", re.IGNORECASE | re.MULTILINE
)


def _parse(raw: bytes, limit: int) -> ParsedMail:
    parsed = ParsedMail(size=len(raw))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        repaired = _repair_boundary(raw)
        parsed.problems.append(
            _(
                "The message's MIME structure was broken (no boundary between its parts); its "
                "parts were recovered."
            )
            if repaired
            else _(
                "The message's MIME structure was broken (no boundary between its parts); its "
                "whole body was kept as text."
            )
        )
        if repaired is not None:
            raw = repaired
            message = email.message_from_bytes(raw, policy=email.policy.default)
    try:
        # Only the headers: the body was parsed once already.
        fallback: Message | None = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    except Exception:
        fallback = None

    def header(name: str) -> str:
        return _header(message, fallback, name)

    parsed.subject = header("Subject")[:998]
    sender = (
        _addresses(header("From")) or _addresses(header("Sender")) or _addresses(header("Reply-To"))
    )
    if sender:
        parsed.from_name, parsed.from_address = sender[0]
    else:
        parsed.from_address = parseaddr(header("From"))[1]
    parsed.to = [address for _name, address in _addresses(header("To"))]
    parsed.cc = [address for _name, address in _addresses(header("Cc"))]
    delivered = [header(name) for name in ("Delivered-To", "X-Original-To", "Envelope-To")]
    parsed.delivered_to = [address for value in delivered for _n, address in _addresses(value)]
    date_header = header("Date")
    if date_header:
        try:
            parsed.date = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            parsed.date = None
    parsed.message_id = (_message_ids(header("Message-ID")) or [""])[0]
    parsed.in_reply_to = (_message_ids(header("In-Reply-To")) or [""])[0]
    parsed.references = _message_ids(header("References"))
    parsed.auto_submitted = header("Auto-Submitted")
    parsed.precedence = header("Precedence")
    parsed.return_path = header("Return-Path").replace(" ", "")
    parsed.auto_reply_header = (
        any(
            header(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Me")
        )
        or header("X-Autoreply").lower() == "yes"
    )
    parsed.content_type = message.get_content_type()

    problems: set[str] = set()
    structure_broken = False
    plain: list[str] = []
    html: list[str] = []
    for index, part in enumerate(_leaves(message), start=1):
        defects = _defect_names(part)
        structure_broken = structure_broken or bool(defects & _STRUCTURE_DEFECTS)
        _read_part(part, index, parsed, plain, html, problems, limit)
    for part in message.walk():
        if _defect_names(part) & _STRUCTURE_DEFECTS:
            structure_broken = True
    if structure_broken and not parsed.problems:
        parsed.problems.append(
            _(
                "The message's MIME structure was broken or the message was cut off; what could be read was kept."
            )
        )
    parsed.problems.extend(sorted(problems))

    html_body = "\n".join(chunk for chunk in html if chunk.strip())
    parsed.html = sanitize_html(html_body) if html_body else ""
    parsed.text = "\n\n".join(_tidy(chunk) for chunk in plain if chunk.strip())
    if not parsed.text and html_body:
        parsed.text = html_to_text(html_body)
    return parsed


def _tidy(text: str) -> str:
    """Unix line ends, no trailing blanks: the same text whatever client sent it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _read_part(
    part: Message,
    index: int,
    parsed: ParsedMail,
    plain: list[str],
    html: list[str],
    problems: set[str],
    limit: int,
) -> None:
    content_type = part.get_content_type()
    if part.get_content_maintype() == "multipart":
        content_type = "text/plain"  # a multipart whose parts could not be found: its raw body
    try:
        disposition = part.get_content_disposition()
    except Exception:
        disposition = None
    content_id = str(part.get("Content-ID", "") or "").strip().strip("<>")
    if content_type == "message/rfc822":
        inner = part.get_payload()
        data = (
            inner[0].as_bytes(policy=email.policy.compat32)
            if isinstance(inner, list) and inner and isinstance(inner[0], Message)
            else b""
        )
        damaged = False
    else:
        data, damaged = _payload_bytes(part)
    is_body_text = content_type in ("text/plain", "text/html") and disposition != "attachment"
    has_name = False
    if is_body_text:
        try:
            has_name = bool(part.get_filename())
        except Exception:
            has_name = False
    if is_body_text and not has_name:
        text, used = decode_text(data, part.get_content_charset())
        if used:
            declared = part.get_content_charset() or ""
            if declared:
                problems.add(
                    _("Part declared as %(declared)s was read as %(charset)s.")
                    % {"declared": declared, "charset": used}
                )
        if damaged:
            problems.add(
                _("Part of the message text was damaged in transit; what could be read was kept.")
            )
        (plain if content_type == "text/plain" else html).append(text)
        return
    name = _filename(part, index, content_type, content_id)
    if damaged:
        problems.add(
            _("Attachment “%(name)s” was damaged in transit (bad base64); it may be incomplete.")
            % {"name": name}
        )
    if len(data) > limit:
        parsed.problems.append(
            _("Attachment “%(name)s” (%(size)s) was dropped: larger than the %(limit)s limit.")
            % {"name": name, "size": format_size(len(data)), "limit": format_size(limit)}
        )
        return
    parsed.attachments.append(
        ParsedAttachment(
            name=name,
            content_type=content_type,
            data=data,
            content_id=content_id,
            is_inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
        )
    )
