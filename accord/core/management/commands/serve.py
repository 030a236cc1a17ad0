"""``accord serve``: the web server (gunicorn) plus a job worker, in one command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Serve Accord with gunicorn and run a background-job worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-jobs", action="store_true", help="Do not start a job worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if not options["no_jobs"]:
            worker = subprocess.Popen(
                [sys.executable, "-m", "accord.cli", "run_huey", "--workers", "2"]
            )
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(
            self.style.SUCCESS(f"Accord is running at http://{bind}/  (Ctrl+C to stop)")
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "accord.wsgi:application",
                "--bind",
                bind,
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            env={**os.environ},
        )
        # A SIGTERM to this command (service manager, terminal closed) must stop both
        # children, not leave the worker running on its own.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGTERM)
            server.wait()
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
