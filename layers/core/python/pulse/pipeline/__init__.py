"""The product's jobs, wired from small parts: fetch, report, deliver.

Handlers and the CLI build a :class:`Services` once and call these functions;
no business rule lives in them. One module per concern:

- :mod:`~pulse.pipeline.services`: the dependencies, kept while a Lambda is warm;
- :mod:`~pulse.pipeline.fetch`: the daily fetch into the lake;
- :mod:`~pulse.pipeline.report`: one report computed, rendered, published, mailed;
- :mod:`~pulse.pipeline.archive`: report keys, links, manifest, atomic publication;
- :mod:`~pulse.pipeline.once`: mailed once per brand-month, generated once at a time;
- :mod:`~pulse.pipeline.schedule`: which reports are due, as jobs;
- :mod:`~pulse.pipeline.batch`: the one batch path (CLI, dispatcher, worker) and job status.

Archive layout (local directory or S3)::

    lake/<table>/brand=<brand>/month=<YYYY-MM>/data.parquet   canonical tables
    raw/<brand>/<platform>/<account>/<date>/*.json.gz           every API response, as received
    quarantine/<brand>/<platform>/...                           responses that could not be read
    state/<brand>/<platform>/<account>.json                     connector checkpoints
    reports/<brand>/<YYYY-MM>/manifest.json                     which version is the report
    reports/<brand>/<YYYY-MM>/<version>/report.html | report.pdf | kpis.json
    reports/<brand>/index.json                                  the brand's archived months
    staging/...                                                 reports being written (transient)
    jobs/<id>.json                                              status of queued generations
"""

from __future__ import annotations

from pulse.exceptions import ReportInProgressError
from pulse.pipeline.archive import (
    CONTENT_TYPES,
    REPORT_FILES,
    has_report,
    list_reports,
    read_report_file,
    report_files,
    report_links,
    resolve,
)
from pulse.pipeline.batch import (
    queue_report,
    read_job_status,
    run_job,
    run_jobs,
    run_reports,
    write_job_status,
)
from pulse.pipeline.fetch import FetchResult, default_fetch_window, fetch_brand, score_sentiment
from pulse.pipeline.once import deliver_scheduled, generate_once
from pulse.pipeline.report import (
    Report,
    ReportOutcome,
    archive_report,
    build_report,
    mail_report,
    produce_report,
)
from pulse.pipeline.schedule import due_brands, monthly_jobs, report_jobs
from pulse.pipeline.services import Services, make_source, reset_shared_services, shared_services

__all__ = [
    "CONTENT_TYPES",
    "REPORT_FILES",
    "FetchResult",
    "Report",
    "ReportInProgressError",
    "ReportOutcome",
    "Services",
    "archive_report",
    "build_report",
    "default_fetch_window",
    "deliver_scheduled",
    "due_brands",
    "fetch_brand",
    "generate_once",
    "has_report",
    "list_reports",
    "mail_report",
    "make_source",
    "monthly_jobs",
    "produce_report",
    "queue_report",
    "read_job_status",
    "read_report_file",
    "report_files",
    "report_jobs",
    "report_links",
    "reset_shared_services",
    "resolve",
    "run_job",
    "run_jobs",
    "run_reports",
    "score_sentiment",
    "shared_services",
    "write_job_status",
]
