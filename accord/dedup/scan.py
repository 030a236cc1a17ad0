"""The whole-base duplicate scan (D6): blocks, candidate pairs, scores, clusters.

Why it looks like this: a million contacts can't be compared pairwise (5·10¹¹ pairs), so each
record is put in a few *blocks* (its phones, e-mails, tax ids, folded name keys; see
:func:`accord.dedup.matching.blocking_keys`) and only records sharing a block are scored.
A block bigger than ``max_block`` (a switchboard shared by 300 people, a very common name) is
no evidence of anything: it is skipped and noted in the job's log. Records are read with raw
SQL in primary-key chunks, never as model instances; blocks live in memory as hashed keys.
Pairs scoring at least :data:`accord.dedup.matching.THRESHOLD` are joined into clusters
(union-find). Pairs inside a cluster someone marked "not duplicates" are never joined again.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from accord.dataio.jobs import job_log, job_progress, register_runner
from accord.dataio.models import Job
from accord.dedup import matching
from accord.dedup.matching import Match, Profile
from accord.dedup.models import DuplicateCluster
from accord.parties.models import Company, Contact, ContactPoint

OBJECT_TYPES = ("company", "contact")
CHUNK = 20_000
#: Blocks with more records than this are skipped: a key shared that widely tells nothing.
MAX_BLOCK = 50
#: Clusters bigger than this are kept but flagged in the log (usually a chain of weak links).
BIG_CLUSTER = 20

Progress = Callable[[int, int], None]


@dataclass
class Cluster:
    ids: list[int]
    score: float
    members: list[dict[str, Any]]


@dataclass
class ScanResult:
    object_type: str
    records: int = 0
    blocks: int = 0
    pairs: int = 0
    matched_pairs: int = 0
    skipped_blocks: list[tuple[str, int]] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    seconds: float = 0.0


# --- reading ----------------------------------------------------------------------------------


def _points(owner_column: str, low: int, high: int) -> dict[int, tuple[list[str], list[str]]]:
    """Phones and e-mails of the records with ids in [low, high], one query."""
    table = connection.ops.quote_name(ContactPoint._meta.db_table)
    column = connection.ops.quote_name(owner_column)
    found: dict[int, tuple[list[str], list[str]]] = {}
    with connection.cursor() as cursor:
        # No filter on kind: with one, SQLite walks the (kind, normalized) index over every
        # point of the base for each chunk; without, the owner's covering index answers.
        cursor.execute(
            f"SELECT {column}, kind, normalized FROM {table} "  # noqa: S608 - names from metadata
            f"WHERE {column} IS NOT NULL AND {column} >= %s AND {column} <= %s",
            [low, high],
        )
        for owner_id, kind, value in cursor.fetchall():
            if kind == "phone":
                found.setdefault(owner_id, ([], []))[0].append(value)
            elif kind == "email":
                found.setdefault(owner_id, ([], []))[1].append(value)
    return found


def _rows(object_type: str, chunk: int) -> Iterator[list[tuple[Any, ...]]]:
    if object_type == "contact":
        table = Contact._meta.db_table
        columns = "id, last_name, first_name, middle_name, primary_company_id"
    else:
        table = Company._meta.db_table
        columns = "id, name, legal_name, inn, siren, siret, vat_number"
    sql = (
        f"SELECT {columns} FROM {connection.ops.quote_name(table)} "  # noqa: S608
        "WHERE id > %s ORDER BY id LIMIT %s"
    )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, chunk])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def profiles(object_type: str, *, chunk: int = CHUNK) -> Iterator[list[Profile]]:
    """Every record of a type as engine profiles, a chunk at a time (raw SQL, two queries per
    chunk: the records and their contact points)."""
    owner_column = "contact_id" if object_type == "contact" else "company_id"
    for rows in _rows(object_type, chunk):
        points = _points(owner_column, rows[0][0], rows[-1][0])
        empty: tuple[list[str], list[str]] = ([], [])
        batch: list[Profile] = []
        if object_type == "contact":
            for pk, last, first, middle, company_id in rows:
                phones, emails = points.get(pk, empty)
                batch.append(
                    matching.contact_profile(
                        id=pk,
                        last_name=last,
                        first_name=first,
                        middle_name=middle,
                        company_id=company_id,
                        phones=phones,
                        emails=emails,
                    )
                )
        else:
            for pk, name, legal_name, inn, siren, siret, vat in rows:
                phones, emails = points.get(pk, empty)
                profile = matching.company_profile(
                    id=pk,
                    name=name,
                    inn=inn,
                    siren=siren,
                    siret=siret,
                    vat_number=vat,
                    phones=phones,
                    emails=emails,
                )
                if legal_name:
                    extra = matching.company_name_forms(legal_name)
                    profile.forms = tuple(dict.fromkeys(profile.forms + extra))
                batch.append(profile)
        yield batch


def _count(object_type: str) -> int:
    model = Contact if object_type == "contact" else Company
    return model.objects.count()


# --- dismissed sets ---------------------------------------------------------------------------


def dismissed_sets(object_type: str) -> list[frozenset[int]]:
    """Member sets people marked "not duplicates": never joined again."""
    rows = DuplicateCluster.objects.filter(
        object_type=object_type, status=DuplicateCluster.Status.DISMISSED
    ).values_list("members", flat=True)
    return [frozenset(int(m["id"]) for m in members) for members in rows]


# --- the scan ---------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                self.parent[rb] = ra
            else:
                self.parent[ra] = rb


def scan(
    object_type: str,
    *,
    max_block: int = MAX_BLOCK,
    threshold: float = matching.THRESHOLD,
    progress: Progress | None = None,
    chunk: int = CHUNK,
) -> ScanResult:
    """Find the clusters of likely duplicates among all records of a type (reads only).

    ``progress(done, total)`` is called after each chunk and during scoring; it may raise to
    stop the scan (the job runner's cancel)."""
    if object_type not in OBJECT_TYPES:
        raise ValueError(object_type)
    started = time.monotonic()
    result = ScanResult(object_type=object_type)
    total = _count(object_type)
    report = progress or (lambda _done, _total: None)
    report(0, total * 2)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small objects and no cycles: the collector only costs time
    try:
        by_id: dict[int, Profile] = {}
        first_in_block: dict[int, int] = {}
        multi: dict[int, tuple[str, list[int]]] = {}
        for batch in profiles(object_type, chunk=chunk):
            for profile in batch:
                pk = profile.id
                by_id[pk] = profile
                for key in matching.blocking_keys(profile):
                    hashed = hash(key)
                    first = first_in_block.setdefault(hashed, pk)
                    if first != pk:
                        entry = multi.get(hashed)
                        if entry is None:
                            multi[hashed] = (key, [first, pk])
                        else:
                            entry[1].append(pk)
            result.records += len(batch)
            report(result.records, total * 2)
        result.blocks = len(first_in_block)
        del first_in_block

        pairs: set[tuple[int, int]] = set()
        for key, ids in multi.values():
            if len(ids) > max_block:
                result.skipped_blocks.append((key, len(ids)))
                continue
            ids.sort()
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    if a != b:
                        pairs.add((a, b))
        del multi
        result.pairs = len(pairs)

        dismissed = dismissed_sets(object_type)
        dismissed_of: dict[int, list[int]] = defaultdict(list)
        for index, members in enumerate(dismissed):
            for pk in members:
                dismissed_of[pk].append(index)

        union = _UnionFind()
        edges: dict[tuple[int, int], Match] = {}
        step = max(1, len(pairs) // 20)
        for done, (a, b) in enumerate(pairs, start=1):
            if done % step == 0:
                report(total + total * done // max(len(pairs), 1), total * 2)
            if (
                a in dismissed_of
                and b in dismissed_of
                and set(dismissed_of[a]).intersection(dismissed_of[b])
            ):
                continue
            match = matching.score_pair(by_id[a], by_id[b])
            if match.score >= threshold:
                edges[(a, b)] = match
                union.union(a, b)
        result.matched_pairs = len(edges)
        del pairs
        result.clusters = _clusters(union, edges, dismissed, dismissed_of)
    finally:
        if gc_was_enabled:
            gc.enable()
    report(total * 2, total * 2)
    result.seconds = time.monotonic() - started
    return result


def _clusters(
    union: _UnionFind,
    edges: dict[tuple[int, int], Match],
    dismissed: list[frozenset[int]],
    dismissed_of: dict[int, list[int]],
) -> list[Cluster]:
    groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair in edges:
        groups[union.find(pair[0])].append(pair)
    clusters: list[Cluster] = []
    for pairs in groups.values():
        best: dict[int, float] = {}
        reasons: dict[int, dict[str, None]] = defaultdict(dict)
        for a, b in pairs:
            match = edges[(a, b)]
            for pk in (a, b):
                best[pk] = max(best.get(pk, 0.0), match.score)
                for reason in match.reasons:
                    reasons[pk][reason] = None
        ids = sorted(best)
        if any(set(ids) <= dismissed[index] for index in dismissed_of.get(ids[0], ())):
            continue
        clusters.append(
            Cluster(
                ids=ids,
                score=max(edges[p].score for p in pairs),
                members=[{"id": pk, "score": best[pk], "reasons": list(reasons[pk])} for pk in ids],
            )
        )
    clusters.sort(key=lambda c: (-c.score, c.ids[0]))
    return clusters


def save_clusters(result: ScanResult, *, job: Job | None = None) -> int:
    """Replace the open clusters of the type with the scan's; dismissed and merged stay."""
    with transaction.atomic():
        DuplicateCluster.objects.filter(
            object_type=result.object_type, status=DuplicateCluster.Status.OPEN
        ).delete()
        DuplicateCluster.objects.bulk_create(
            (
                DuplicateCluster(
                    object_type=result.object_type,
                    score=cluster.score,
                    members=cluster.members,
                    size=len(cluster.ids),
                    job=job,
                )
                for cluster in result.clusters
            ),
            batch_size=1000,
        )
    return len(result.clusters)


@register_runner(Job.Kind.DUPLICATE_SCAN)
def run_duplicate_scan(job: Job) -> None:
    """The "duplicate_scan" job: params ``{"object_type": "company" | "contact"}``."""
    object_type = str(job.params.get("object_type", "contact"))
    if object_type not in OBJECT_TYPES:
        raise ValueError(_("Unknown record type: %(type)s") % {"type": object_type})

    def progress(done: int, total: int) -> None:
        job_progress(job, done=done, total=total)

    result = scan(object_type, progress=progress)
    for key, size in result.skipped_blocks[:20]:
        job_log(
            job,
            _("Skipped a block of %(size)s records sharing “%(key)s”: too common to tell.")
            % {"size": size, "key": key.split(":", 1)[-1]},
        )
    if len(result.skipped_blocks) > 20:
        job_log(
            job,
            _("%(count)s more blocks skipped.") % {"count": len(result.skipped_blocks) - 20},
        )
    big = sum(1 for c in result.clusters if len(c.ids) > BIG_CLUSTER)
    if big:
        job_log(job, _("%(count)s clusters have more than 20 records.") % {"count": big})
    job_progress(job, done=result.records * 2, total=result.records * 2)
    saved = save_clusters(result, job=job)
    job.message = _(
        "%(records)s records scanned in %(seconds)s s: %(clusters)s groups of likely duplicates."
    ) % {"records": result.records, "seconds": f"{result.seconds:.1f}", "clusters": saved}


# --- matching a few records (entry checks, import) --------------------------------------------


def load_profiles(object_type: str, ids: list[int]) -> dict[int, Profile]:
    """Engine profiles of some records by id (two queries per 500 ids)."""
    found: dict[int, Profile] = {}
    model = Contact if object_type == "contact" else Company
    owner = "contact_id" if object_type == "contact" else "company_id"
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        points: dict[int, tuple[list[str], list[str]]] = {}
        # No filter on kind (see _points): with one, SQLite walks the (kind, normalized)
        # index instead of the owner's, some 40 times slower on a big base.
        for owner_id, kind, value in (
            ContactPoint.objects.filter(**{f"{owner}__in": part})
            .order_by()
            .values_list(owner, "kind", "normalized")
        ):
            if kind == "phone" or kind == "email":
                phones, emails = points.setdefault(owner_id, ([], []))
                (phones if kind == "phone" else emails).append(value)
        if model is Contact:
            for pk, last, first, middle, company_id in Contact.objects.filter(
                pk__in=part
            ).values_list("pk", "last_name", "first_name", "middle_name", "primary_company_id"):
                phones, emails = points.get(pk, ([], []))
                found[pk] = matching.contact_profile(
                    id=pk,
                    last_name=last,
                    first_name=first,
                    middle_name=middle,
                    company_id=company_id,
                    phones=phones,
                    emails=emails,
                )
        else:
            for pk, name, inn, siren, siret, vat in Company.objects.filter(pk__in=part).values_list(
                "pk", "name", "inn", "siren", "siret", "vat_number"
            ):
                phones, emails = points.get(pk, ([], []))
                found[pk] = matching.company_profile(
                    id=pk,
                    name=name,
                    inn=inn,
                    siren=siren,
                    siret=siret,
                    vat_number=vat,
                    phones=phones,
                    emails=emails,
                )
    return found


def match_profiles(
    object_type: str,
    profiles: list[Profile],
    *,
    name_keys: list[str] | None = None,
    queryset: Any = None,
    threshold: float = matching.THRESHOLD,
) -> list[list[tuple[int, Match]]]:
    """Existing records matching each of ``profiles`` (rows of an import chunk, or one form),
    best first, with the score and reasons; the API the import engine calls per chunk.

    Candidates come from indexed columns in a few bulk queries: phones and e-mails (contact
    points), tax ids (companies) and ``name_keys`` (the stored ``name_key`` of each row, as
    :func:`accord.parties.normalize.name_key` computes it). ``queryset`` narrows the candidates
    (pass the user's scoped queryset to match only what they may see).
    """
    if object_type not in OBJECT_TYPES:
        raise ValueError(object_type)
    model = Contact if object_type == "contact" else Company
    owner = "contact_id" if object_type == "contact" else "company_id"
    by_value: dict[str, set[int]] = defaultdict(set)
    phones = {p for profile in profiles for p in profile.phones}
    emails = {e for profile in profiles for e in profile.emails}
    for kind, values in (("phone", phones), ("email", emails)):
        if values:
            for owner_id, value in ContactPoint.objects.filter(
                **{f"{owner}__isnull": False}, kind=kind, normalized__in=values
            ).values_list(owner, "normalized"):
                by_value[f"{kind}:{value}"].add(owner_id)
    if model is Company:
        for kind, column in (("inn", "inn"), ("siren", "siren"), ("vat", "vat_number")):
            values = {p.tax[kind] for p in profiles if kind in p.tax}
            if values:
                for pk, value in Company.objects.filter(**{f"{column}__in": values}).values_list(
                    "pk", column
                ):
                    by_value[f"{kind}:{value}"].add(pk)
    keys = [k for k in (name_keys or []) if k]
    if keys:
        for pk, key in model.objects.filter(name_key__in=set(keys)).values_list("pk", "name_key"):
            by_value[f"name:{key}"].add(pk)
    wanted: list[set[int]] = []
    for index, profile in enumerate(profiles):
        ids: set[int] = set()
        for value in profile.phones:
            ids |= by_value.get(f"phone:{value}", set())
        for value in profile.emails:
            ids |= by_value.get(f"email:{value}", set())
        for kind, value in profile.tax.items():
            ids |= by_value.get(f"{kind}:{value}", set())
        if name_keys and index < len(name_keys) and name_keys[index]:
            ids |= by_value.get(f"name:{name_keys[index]}", set())
        ids.discard(profile.id)
        wanted.append(ids)
    every = sorted(set().union(*wanted)) if wanted else []
    if queryset is not None and every:
        allowed: set[int] = set()
        for start in range(0, len(every), 500):
            allowed |= set(
                queryset.filter(pk__in=every[start : start + 500]).values_list("pk", flat=True)
            )
        every = [pk for pk in every if pk in allowed]
    known = load_profiles(object_type, every)
    return [
        matching.match_candidates(
            profile, (known[pk] for pk in sorted(ids) if pk in known), threshold=threshold
        )
        for profile, ids in zip(profiles, wanted, strict=True)
    ]
