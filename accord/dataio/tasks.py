"""Loaded by the job worker (Huey's ``run_huey`` imports every app's ``tasks`` module): the job
task and every runner must be registered there, not only in the web process, or queued jobs
would never find their code."""

from accord.dataio import export, jobs, services  # noqa: F401 - registers the task and runners
from accord.dedup import scan  # noqa: F401 - the duplicate-scan runner
