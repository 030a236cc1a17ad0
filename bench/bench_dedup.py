"""Duplicate scan of ``make bench`` (issue #4): a full scan of 1M contacts, goal under 2 minutes.

Duplicates are injected into the base with a known answer: for a share of existing contacts
(``BENCH_DEDUP_SHARE``, default 1 %) a second record of the same person is written with the
name transliterated (Cyrillic → Latin with a random scheme, Latin names upper-cased without
accents), with the same phone typed in another format, with a Gmail address written with
dots and a "+tag", or (Russian names with a patronymic) with only the name in Latin letters.
The full scan then runs as the job runner does it (minus saving the clusters) and prints
seconds, contacts per second, clusters, and recall (injected pairs that ended in one cluster).
Baselines from the same run: a plain full read of the columns the scan reads (contacts and
their phones and e-mails) and a GROUP BY on normalised phones. The injected records are
removed afterwards, so the base is as it was for whatever runs next.

Alone: ``python bench/bench_dedup.py`` makes a database of its own under
``BENCH_DATA_DIR`` (default /tmp/accord-bench-dedup) with ``BENCH_CONTACTS`` contacts
(default 1,000,000 × ``BENCH_SCALE``); ``BENCH_KEEP=1`` reuses it.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
CONTACTS = max(100, int(int(os.environ.get("BENCH_CONTACTS", 1_000_000)) * SCALE))
COMPANIES = max(10, int(int(os.environ.get("BENCH_COMPANIES", 300_000)) * SCALE))
SHARE = float(os.environ.get("BENCH_DEDUP_SHARE", "0.01"))
GOAL_SECONDS = 120.0


def _variant_name(rng: random.Random, last: str, first: str, middle: str) -> tuple[str, ...]:
    """The same person as someone else would type them: another script or another case."""
    import iuliia
    from unidecode import unidecode

    from accord.dedup import matching

    if matching.is_cyrillic(last + first):
        scheme = rng.choice(
            [iuliia.WIKIPEDIA, iuliia.ICAO_DOC_9303, iuliia.BGN_PCGN, iuliia.MVD_310_FR]
        )
        return tuple(scheme.translate(p) if p else "" for p in (last, first, middle))
    return tuple(unidecode(p).upper() if p else "" for p in (last, first, middle))


def _national(e164: str) -> tuple[str, str | None]:
    """The number as typed in its own country ("8 (351) 123-45-67"), and that country."""
    import phonenumbers

    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national, phonenumbers.region_code_for_number(number)


def inject(rng: random.Random, share: float) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Write the duplicates; returns (original, duplicate) pairs, the new contacts' ids and the
    ids of contact points added to originals (to remove them afterwards)."""
    from django.db import transaction
    from django.db.models import Max

    from accord.parties.models import Contact, ContactPoint
    from accord.parties.normalize import normalize_phone

    top = Contact.objects.aggregate(top=Max("pk"))["top"] or 0
    count = max(10, int(Contact.objects.count() * share))
    chosen = sorted(rng.sample(range(1, top + 1), min(count, top)))
    rows = {
        pk: (last, first, middle, company, owner)
        for pk, last, first, middle, company, owner in Contact.objects.filter(
            pk__in=chosen
        ).values_list("pk", "last_name", "first_name", "middle_name", "primary_company", "owner")
    }
    phones: dict[int, str] = dict(
        ContactPoint.objects.filter(contact_id__in=rows, kind="phone").values_list(
            "contact_id", "normalized"
        )
    )
    next_id = top + 1
    pairs: list[tuple[int, int]] = []
    new_ids: list[int] = []
    contacts: list[tuple[Any, ...]] = []
    points: list[tuple[Any, ...]] = []
    original_points: list[tuple[Any, ...]] = []
    for index, (pk, (last, first, middle, company, owner)) in enumerate(sorted(rows.items())):
        variant = index % 4
        d_last, d_first, d_middle = _variant_name(rng, last, first, middle)
        d_company = company
        if variant == 3 and not middle:
            variant = 0
        if variant in (0, 2):
            phone = phones.get(pk) or f"+3314{pk % 10_000_000:07d}"
            if pk not in phones:
                original_points.append(("phone", phone, phone, pk))
            typed, region = _national(phone) if variant == 2 else (phone, None)
            points.append(("phone", typed, normalize_phone(typed, region), next_id))
            if variant == 2:
                d_last, d_first, d_middle = last.lower(), first.lower(), middle.lower()
        elif variant == 1:
            local = f"bench.dup.{pk}"
            original_points.append(("email", f"{local}@gmail.com", f"{local}@gmail.com", pk))
            typed = f"Bench.Dup{pk}+crm@googlemail.com"
            points.append(("email", typed, typed.lower(), next_id))
            d_last, d_first = last, first
        else:
            d_company = None  # the name with the patronymic is the only link
        contacts.append((next_id, d_last, d_first, d_middle, d_company, owner))
        pairs.append((pk, next_id))
        new_ids.append(next_id)
        next_id += 1
    from django.utils import timezone

    from accord.ops.generator import BulkInserter

    now = timezone.now()
    contact_rows = BulkInserter(Contact, with_id=True)
    point_rows = BulkInserter(ContactPoint, with_id=False)
    for i, ln, fn, mn, co, ow in contacts:
        full = " ".join(p for p in (ln, fn, mn) if p)
        contact_rows.add(
            {
                "id": i,
                "last_name": ln,
                "first_name": fn,
                "middle_name": mn,
                "primary_company_id": co,
                "owner_id": ow,
                "full_name": full,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    for kind, value, normalized, owner_id in [*points, *original_points]:
        point_rows.add(
            {
                "kind": kind,
                "value": value,
                "normalized": normalized,
                "is_primary": False,
                "contact_id": owner_id,
            }
        )
    with transaction.atomic():
        contact_rows.flush()
        point_rows.flush()
    added = list(
        ContactPoint.objects.filter(
            contact_id__in=[p[3] for p in original_points],
            normalized__in=[p[2] for p in original_points],
        ).values_list("pk", flat=True)
    )
    return pairs, new_ids, added


def remove(new_ids: list[int], added_points: list[int]) -> None:
    from django.db import transaction

    from accord.dedup.models import DuplicateCluster
    from accord.parties.models import Contact, ContactPoint

    with transaction.atomic():
        for start in range(0, len(added_points), 500):
            ContactPoint.objects.filter(pk__in=added_points[start : start + 500]).delete()
        for start in range(0, len(new_ids), 500):
            part = new_ids[start : start + 500]
            ContactPoint.objects.filter(contact_id__in=part).delete()
            Contact.objects.filter(pk__in=part)._raw_delete(Contact.objects.db)
        DuplicateCluster.objects.filter(object_type="contact", job__isnull=True).delete()


def _timed(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = func()
    return time.perf_counter() - started, value


def run(say: Callable[[str], None]) -> None:
    from django.db import connection

    from accord.dedup import scan
    from accord.parties.models import Contact

    rng = random.Random(4)
    pairs, new_ids, added = inject(rng, SHARE)
    try:
        total = Contact.objects.count()
        say(
            f"duplicate scan: {total:,} contacts, {len(pairs):,} injected duplicates "
            f"(load average {os.getloadavg()[0]:.1f})"
        )

        def raw_read() -> int:
            rows = 0
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, last_name, first_name, middle_name, primary_company_id"
                    " FROM parties_contact ORDER BY id"
                )
                while batch := cursor.fetchmany(20_000):
                    rows += len(batch)
                cursor.execute(
                    "SELECT contact_id, kind, normalized FROM parties_contactpoint"
                    " WHERE contact_id IS NOT NULL AND kind IN ('phone', 'email')"
                )
                while batch := cursor.fetchmany(20_000):
                    rows += len(batch)
            return rows

        def group_phones() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT normalized, COUNT(*) FROM parties_contactpoint"
                    " WHERE kind = 'phone' AND contact_id IS NOT NULL"
                    " GROUP BY normalized HAVING COUNT(*) > 1"
                )
                return len(cursor.fetchall())

        read_seconds, _rows = _timed(raw_read)
        group_seconds, shared_phones = _timed(group_phones)
        seconds, result = _timed(lambda: scan.scan("contact"))
        cluster_of: dict[int, int] = {}
        for index, cluster in enumerate(result.clusters):
            for pk in cluster.ids:
                cluster_of[pk] = index
        found = sum(
            1 for a, b in pairs if a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        )
        injected = set(new_ids)
        other = sum(1 for c in result.clusters if injected.isdisjoint(c.ids))
        verdict = "PASS" if seconds < GOAL_SECONDS else "MISS"
        say(
            f"  full scan: {seconds:.1f} s ({total / seconds:,.0f} contacts/s), goal < "
            f"{GOAL_SECONDS:.0f} s: {verdict}"
        )
        say(
            f"  blocks: {result.blocks:,}, skipped as too common: {len(result.skipped_blocks):,}, "
            f"candidate pairs: {result.pairs:,}, matching pairs: {result.matched_pairs:,}"
        )
        say(
            f"  clusters: {len(result.clusters):,} ({other:,} without an injected record); "
            f"recall on injected duplicates: {found:,}/{len(pairs):,} = "
            f"{found / max(len(pairs), 1):.1%}"
        )
        say(
            f"  baseline: plain read of contacts + phones/e-mails {read_seconds:.1f} s "
            f"(scan = {seconds / read_seconds:.1f}x); GROUP BY normalised phone "
            f"{group_seconds:.1f} s, {shared_phones:,} shared phones "
            f"(scan = {seconds / group_seconds:.1f}x)"
        )
    finally:
        remove(new_ids, added)


def main() -> int:
    default = Path(tempfile.gettempdir()) / "accord-bench-dedup"
    data_dir = Path(os.environ.get("BENCH_DATA_DIR", default))
    keep = os.environ.get("BENCH_KEEP", "") == "1"
    if not keep:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / "static").mkdir(parents=True, exist_ok=True)
    os.environ["ACCORD_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from accord.core.audit import audit_context
    from accord.ops import generator
    from accord.parties.models import Contact

    call_command("migrate", verbosity=0)
    if keep and Contact.objects.exists():
        print("generation: skipped (BENCH_KEEP=1)", flush=True)
    else:
        with audit_context(source="command"):
            result = generator.generate(
                companies=COMPANIES,
                contacts=CONTACTS,
                activities=0,
                users=20,
                progress=lambda line: print(f"  {line}", flush=True),
            )
        print(f"generation: {result.rows:,} rows in {result.seconds:.1f} s", flush=True)
    run(lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
