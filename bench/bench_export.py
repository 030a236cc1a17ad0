"""Export scenarios of ``make bench`` (issue #4): the contact list exported through the export
job runner as CSV and as XLSX, next to a raw ``SELECT`` of the same columns written with
``csv.writer`` in the same run; peak memory of a big and a small export.

Everything runs in child processes with data directories of their own (``BENCH_EXPORT_DIR``,
default a temporary directory), so the bench's main database is not touched:

1. setup: ``accord.ops.generator.generate`` makes a base of ``BENCH_EXPORT_ROWS`` contacts
   (default 1,000,000) and, in a second directory, one of ``BENCH_EXPORT_SMALL`` contacts
   (default 100,000).
2. baseline: in the big base, one SQL query selects the same columns as the contact export
   and ``csv.writer`` writes them to a file.
3. exports: a fresh process per base and format exports the whole contact list through the
   job runner (``accord.dataio.export``: scoped selector, list order, typed cells, formula
   escaping): rows per second, the ratio to the baseline, and peak RSS; "memory flat" is the
   ratio of the big export's peak RSS to the small one's.

Sizes are multiplied by ``BENCH_SCALE``. Run alone: ``python bench/bench_export.py``.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
GOAL_MEMORY_RATIO = 1.2


def _size(name: str, default: int) -> int:
    return max(100, int(int(os.environ.get(name, default)) * SCALE))


BIG = _size("BENCH_EXPORT_ROWS", 1_000_000)
SMALL = _size("BENCH_EXPORT_SMALL", 100_000)

# The same columns as the contact export, with one query (the baseline).
RAW_SQL = """
SELECT c.full_name, co.name, c.position, phone.normalized, email.value,
       u.first_name || ' ' || u.last_name, c.updated_at, c.created_at
FROM parties_contact c
LEFT JOIN parties_company co ON co.id = c.primary_company_id
LEFT JOIN parties_contactpoint phone
       ON phone.contact_id = c.id AND phone.is_primary AND phone.kind = 'phone'
LEFT JOIN parties_contactpoint email
       ON email.contact_id = c.id AND email.is_primary AND email.kind = 'email'
LEFT JOIN core_user u ON u.id = c.owner_id
ORDER BY c.full_name, c.id
"""


# --- child side -------------------------------------------------------------------------------


def _django(data_dir: str) -> None:
    os.environ["ACCORD_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ["ACCORD_JOBS_IMMEDIATE"] = "0"  # the bench runs the job itself, in this process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _exporter() -> Any:
    from accord.core.models import User

    user, _created = User.objects.get_or_create(
        username="bench_exporter", defaults={"is_superuser": True, "email": "bench@example.com"}
    )
    return user


def child_setup(data_dir: str, contacts: str) -> dict[str, Any]:
    _django(data_dir)
    from django.core.management import call_command

    from accord.core.audit import audit_context
    from accord.ops.generator import generate

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    count = int(contacts)
    with audit_context(source="command"):
        generate(
            companies=max(10, count // 10),
            contacts=count,
            activities=0,
            deals=0,
            order_lines=0,
            users=20,
        )
    return {"generate_seconds": time.monotonic() - started}


def _run_export(file_format: str) -> dict[str, Any]:
    """One export of the whole contact list through the job runner, timed."""
    from accord.dataio.export import export_start
    from accord.dataio.jobs import run_job
    from accord.dataio.models import Job

    user = _exporter()
    job = export_start(
        actor=user, list_key="contacts", params={}, file_format=file_format, lossless=False
    )
    started = time.monotonic()
    run_job(job.pk)
    seconds = time.monotonic() - started
    job.refresh_from_db()
    if job.status != Job.Status.DONE:
        raise RuntimeError(f"export job ended {job.status}: {job.message}")
    size = job.result_file.size
    job.result_file.delete(save=False)
    return {"seconds": seconds, "rows": job.done, "bytes": size}


def _raw_export() -> dict[str, Any]:
    from django.db import connection

    started = time.monotonic()
    rows = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL)
            while chunk := cursor.fetchmany(2000):
                writer.writerows(chunk)
                rows += len(chunk)
    return {"seconds": time.monotonic() - started, "rows": rows}


def _small_sqlite_caches() -> None:
    """Peak RSS should measure the export, not SQLite's caches: Accord's defaults (64 MB page
    cache, 256 MB memory map) fill up with the database file and would grow with it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size=-2000")
        cursor.execute("PRAGMA mmap_size=0")


def child_export(data_dir: str, file_format: str) -> dict[str, Any]:
    _django(data_dir)
    _small_sqlite_caches()
    result = _run_export(file_format)
    result["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def child_raw(data_dir: str) -> dict[str, Any]:
    _django(data_dir)
    _small_sqlite_caches()
    result = _raw_export()
    result["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "setup": child_setup,
    "export": child_export,
    "raw": child_raw,
}


# --- parent side ------------------------------------------------------------------------------


def _child(task: str, *args: str) -> dict[str, Any]:
    process = subprocess.run(
        [sys.executable, __file__, "--child", task, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=str(ROOT),
    )
    if process.returncode != 0:
        raise RuntimeError(f"bench child {task} failed:\n{process.stderr[-3000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def _fresh(path: Path) -> str:
    shutil.rmtree(path, ignore_errors=True)
    (path / "static").mkdir(parents=True, exist_ok=True)
    return str(path)


def run(say: Callable[[str], None]) -> None:
    own = os.environ.get("BENCH_EXPORT_DIR")
    root = Path(own or tempfile.mkdtemp(prefix="accord-bench-export-"))
    try:
        dirs = {"small": _fresh(root / "small"), "big": _fresh(root / "big")}
        sizes = {"small": SMALL, "big": BIG}
        say(
            f"export (issue #4): the contact list through the export job runner, {BIG:,} and "
            f"{SMALL:,} contacts, SQLite (each run a fresh process; SQLite page cache 2 MB and "
            f"no memory map there, so that peak RSS measures the export)"
        )
        for label in ("small", "big"):
            setup = _child("setup", dirs[label], str(sizes[label]))
            say(
                f"  base of {sizes[label]:,} contacts generated in {setup['generate_seconds']:.1f} s"
            )
        raw = _child("raw", dirs["big"])
        raw_rate = raw["rows"] / raw["seconds"]
        say(
            f"  baseline: raw SELECT of the same columns + csv.writer: {raw['rows']:,} rows in "
            f"{raw['seconds']:.1f} s = {raw_rate:,.0f} rows/s, peak RSS "
            f"{raw['max_rss_kb'] / 1024:,.0f} MB"
        )
        for file_format in ("csv", "xlsx"):
            rss = {}
            for label in ("small", "big"):
                outcome = _child("export", dirs[label], file_format)
                rss[label] = outcome["max_rss_kb"] / 1024
                rate = outcome["rows"] / outcome["seconds"]
                line = (
                    f"  {file_format.upper()} export job, {outcome['rows']:,} rows: "
                    f"{outcome['seconds']:.1f} s = {rate:,.0f} rows/s, "
                    f"{outcome['bytes'] / 1024 / 1024:,.1f} MB file, peak RSS {rss[label]:,.0f} MB"
                )
                if label == "big":
                    line += f"; ratio raw/job {raw_rate / rate:.1f}x"
                say(line)
            ratio = rss["big"] / rss["small"]
            verdict = "ok" if ratio <= GOAL_MEMORY_RATIO else "MISS"
            say(
                f"  {file_format.upper()} memory flat: peak RSS {BIG:,} vs {SMALL:,} rows "
                f"{ratio:.2f}x (goal <= {GOAL_MEMORY_RATIO}): {verdict}"
            )
    finally:
        if not own:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, *args = sys.argv[2:]
        print(json.dumps(CHILDREN[task](*args)))
        return 0
    run(lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
