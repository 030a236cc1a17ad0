"""Import scenarios of ``make bench`` (issue #4): contacts through the import engine against a
big base, next to a raw bulk INSERT of the same rows; peak memory for a big and a small file.

Everything runs in child processes with a data directory of their own (``BENCH_IMPORT_DIR``,
default a temporary directory), so the bench's main database is not touched:

1. setup: ``accord.ops.generator.generate`` makes a base of ``BENCH_IMPORT_BASE`` contacts
   (default 1,000,000) and a few companies; a CSV of ``BENCH_IMPORT_ROWS`` rows (default
   100,000) is written, 10% of them repeating existing contacts' e-mails or phones.
2. throughput: the CSV goes through the engine (clean, match, mode "skip", partial) and the
   same rows through ``executemany`` INSERTs into the contact table (the baseline), each on
   its own copy of the freshly generated base (the first writes after the generator merge the
   search index's segments, which would favour whichever ran second).
3. memory: a fresh process per file imports ``BENCH_IMPORT_MEMORY_BIG`` (default 1,000,000)
   and ``BENCH_IMPORT_MEMORY_SMALL`` (default 100,000) rows; peak RSS of each and the ratio.

Sizes are multiplied by ``BENCH_SCALE``. Run alone: ``python bench/bench_import.py``.
"""

from __future__ import annotations

import csv
import json
import os
import random
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
GOAL_ROWS_PER_SECOND = 5000
GOAL_MEMORY_RATIO = 1.2


def _size(name: str, default: int) -> int:
    return max(100, int(int(os.environ.get(name, default)) * SCALE))


BASE = _size("BENCH_IMPORT_BASE", 1_000_000)
ROWS = _size("BENCH_IMPORT_ROWS", 100_000)
MEMORY_BIG = _size("BENCH_IMPORT_MEMORY_BIG", 1_000_000)
MEMORY_SMALL = _size("BENCH_IMPORT_MEMORY_SMALL", 100_000)


# --- child side -------------------------------------------------------------------------------


def _django(data_dir: str) -> None:
    os.environ["ACCORD_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _importer() -> Any:
    from accord.core.models import User

    user, _created = User.objects.get_or_create(
        username="bench_importer", defaults={"is_superuser": True, "email": "bench@example.com"}
    )
    return user


def write_csv(path: str, rows: int, *, seed: int, existing: list[tuple[str, str]]) -> None:
    """Russian and French people; every tenth row repeats an existing contact's e-mail or
    phone (so it matches), the others are new. Phones are typed the way people type them."""
    rng = random.Random(seed)
    last = ["Иванов", "Смирнова", "Кузнецов", "Попова", "Dupont", "Lefèvre", "Martin", "Moreau"]
    first = ["Пётр", "Ольга", "Андрей", "Мария", "Hélène", "François", "Jean", "Camille"]
    positions = ["Директор", "Инженер", "Главный бухгалтер", "Directeur achats", "Ingénieur"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Фамилия", "Имя", "Должность", "E-mail", "Телефон", "День рождения"])
        for index in range(rows):
            if existing and index % 10 == 9:
                email, phone = existing[rng.randrange(len(existing))]
                phone_text = phone
            else:
                email = f"import.{seed}.{index}@example.org"
                number = 9000000000 + (seed * 1_000_003 + index) % 999_999_999
                phone_text = f"+7 ({str(number)[:3]}) {str(number)[3:6]}-{str(number)[6:8]}-{str(number)[8:]}"
            day = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2000)}"
            writer.writerow(
                [rng.choice(last), rng.choice(first), rng.choice(positions), email, phone_text, day]
            )


def child_setup(data_dir: str, csv_path: str) -> dict[str, Any]:
    _django(data_dir)
    from django.core.management import call_command

    from accord.core.audit import audit_context
    from accord.ops.generator import generate
    from accord.parties.models import ContactPoint

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    with audit_context(source="command"):
        generate(
            companies=max(10, BASE // 100),
            contacts=BASE,
            activities=0,
            deals=0,
            order_lines=0,
            users=20,
        )
    seconds = time.monotonic() - started
    emails = list(
        ContactPoint.objects.filter(kind="email", contact__isnull=False).values_list(
            "normalized", flat=True
        )[:2000]
    )
    existing = [(e, "") for e in emails]
    write_csv(csv_path, ROWS, seed=1, existing=existing)
    return {"generate_seconds": seconds}


def _engine_import(csv_path: str, *, mode: str = "skip") -> dict[str, Any]:
    from django.core.files import File

    from accord.core.audit import audit_context
    from accord.dataio import mapping, services
    from accord.dataio.handlers import get_handler

    user = _importer()
    with audit_context(source="command"):
        with open(csv_path, "rb") as stream:
            batch = services.import_prepare(
                actor=user, object_type="contact", uploaded_file=File(stream, name="bench.csv")
            )
        columns = mapping.suggest(get_handler("contact"), batch.detected.headers, user)  # type: ignore[attr-defined]
        batch = services.import_configure(
            actor=user, batch=batch, columns=columns, mode=mode, all_or_nothing=False
        )
        started, cpu = time.monotonic(), time.process_time()
        result = services.import_run_now(actor=user, batch=batch)
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "total": result.total,
        "created": result.created,
        "skipped": result.skipped,
        "updated": result.updated,
        "rejected": result.rejected,
    }


def _raw_insert(csv_path: str) -> tuple[float, float]:
    """The baseline: the same rows as plain executemany INSERTs into the contact table (no
    cleaning, no matching, no contact points, no audit), in 1,000-row transactions. The row's
    text goes into ``search_text`` too, so the search index's trigger costs the same."""
    from django.db import connection, transaction
    from django.utils import timezone

    user = _importer()
    now = timezone.now()
    sql = (
        "INSERT INTO parties_contact (last_name, first_name, middle_name, position, birthday, "
        "preferred_channel, do_not_call, do_not_email, notes, custom, full_name, search_text, "
        "name_key, owner_id, created_at, updated_at, version) VALUES "
        "(%s, %s, '', %s, NULL, '', 0, 0, '', '{}', %s, %s, '', %s, %s, %s, 1)"
    )
    started, cpu = time.monotonic(), time.process_time()
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        batch: list[tuple[Any, ...]] = []
        for row in reader:
            text = " ".join(row).lower()
            batch.append((row[0], row[1], row[2], f"{row[0]} {row[1]}", text, user.pk, now, now))
            if len(batch) >= 1000:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                batch = []
        if batch:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
    return time.monotonic() - started, time.process_time() - cpu


def child_throughput(data_dir: str, csv_path: str) -> dict[str, Any]:
    _django(data_dir)
    return _engine_import(csv_path)


def child_raw(data_dir: str, csv_path: str) -> dict[str, Any]:
    _django(data_dir)
    seconds, cpu = _raw_insert(csv_path)
    return {"raw_seconds": seconds, "raw_cpu_seconds": cpu}


def child_memory(data_dir: str, csv_path: str) -> dict[str, Any]:
    _django(data_dir)
    result = _engine_import(csv_path)
    result["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("RssAnon:"):
                result["anon_kb"] = int(line.split()[1])
    return result


def child_write(data_dir: str, csv_path: str, rows: str, seed: str) -> dict[str, Any]:
    write_csv(csv_path, int(rows), seed=int(seed), existing=[])
    return {}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "setup": child_setup,
    "throughput": child_throughput,
    "raw": child_raw,
    "memory": child_memory,
    "write": child_write,
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


def run(say: Callable[[str], None]) -> None:
    own = os.environ.get("BENCH_IMPORT_DIR")
    data_dir = own or tempfile.mkdtemp(prefix="accord-bench-import-")
    shutil.rmtree(data_dir, ignore_errors=True)
    Path(data_dir, "static").mkdir(parents=True, exist_ok=True)
    try:
        csv_path = str(Path(data_dir, "import.csv"))
        say(
            f"import (issue #4): base of {BASE:,} contacts, file of {ROWS:,} rows "
            f"(10% matching existing contacts by e-mail), SQLite"
        )
        setup = _child("setup", data_dir, csv_path)
        say(f"  base generated in {setup['generate_seconds']:.1f} s")
        # The first writes after the generator pay for merging the search index's segments;
        # whichever of the two ran second would skip that. So each starts from its own copy of
        # the same freshly generated base.
        raw_dir = data_dir.rstrip("/") + "-raw"
        shutil.rmtree(raw_dir, ignore_errors=True)
        shutil.copytree(data_dir, raw_dir)
        try:
            baseline = _child("raw", raw_dir, csv_path)
        finally:
            shutil.rmtree(raw_dir, ignore_errors=True)
        result = {**_child("throughput", data_dir, csv_path), **baseline}
        ours = result["total"] / result["seconds"]
        raw = result["total"] / result["raw_seconds"]
        verdict = "ok" if ours >= GOAL_ROWS_PER_SECOND else "MISS"
        say(
            f"  engine (clean, match, mode skip, partial): {result['total']:,} rows in "
            f"{result['seconds']:.1f} s = {ours:,.0f} rows/s (created {result['created']:,}, "
            f"skipped {result['skipped']:,}, rejected {result['rejected']:,}) "
            f"goal >= {GOAL_ROWS_PER_SECOND:,} rows/s: {verdict}"
        )
        say(
            f"  raw executemany INSERT of the same rows: {raw:,.0f} rows/s; "
            f"ratio raw/engine {raw / ours:.1f}x"
        )
        cpu_ours = result["total"] / result["cpu_seconds"]
        cpu_raw = result["total"] / result["raw_cpu_seconds"]
        say(
            f"  by CPU time of the process (less sensitive to a busy machine): engine "
            f"{cpu_ours:,.0f} rows/s, raw {cpu_raw:,.0f} rows/s, ratio {cpu_raw / cpu_ours:.1f}x; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        rss = {}
        for label, rows in (("small", MEMORY_SMALL), ("big", MEMORY_BIG)):
            path = str(Path(data_dir, f"memory-{label}.csv"))
            _child("write", data_dir, path, str(rows), str(7 if label == "big" else 5))
            outcome = _child("memory", data_dir, path)
            rss[label] = outcome["max_rss_kb"] / 1024
            anon = outcome.get("anon_kb", 0) / 1024
            say(
                f"  peak RSS importing {rows:,} rows in a fresh process: {rss[label]:,.0f} MB "
                f"(anonymous memory at the end {anon:,.0f} MB, the rest is SQLite's cache and "
                f"memory-mapped database file; "
                f"{outcome['total'] / outcome['seconds']:,.0f} rows/s)"
            )
            os.remove(path)
        ratio = rss["big"] / rss["small"]
        verdict = "ok" if ratio <= GOAL_MEMORY_RATIO else "MISS"
        say(
            f"  memory ratio {MEMORY_BIG:,} vs {MEMORY_SMALL:,} rows: {ratio:.2f} "
            f"(goal <= {GOAL_MEMORY_RATIO}): {verdict}"
        )
    finally:
        if not own:
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, *args = sys.argv[2:]
        print(json.dumps(CHILDREN[task](*args)))
        return 0
    run(lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
