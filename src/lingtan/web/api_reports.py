"""Inventory reports as background jobs: ``POST /api/v1/inventories/{id}/reports`` starts one,
``GET /api/v1/report-jobs/{job}`` tells how far it is, ``GET .../files/{name}`` downloads.

A report takes seconds per language (the PDF above all) and matplotlib, which draws its
charts, must not run in two threads of one process. So the request reads the report's data
(:func:`lingtan.services.report_data.report_data`) in its own transaction and hands it to a
separate process (a spawned :class:`~concurrent.futures.ProcessPoolExecutor` of
:data:`REPORT_PROCESSES` worker), one task per language, each calling
:func:`lingtan.reports.write_reports`. The files go to a temporary folder of the server.

Jobs live as long as the server process: a restart forgets them and removes their files (ask
again). With several server processes (``lingtan serve --workers``) a job is known only to
the process that started it.
"""

from __future__ import annotations

import multiprocessing
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from lingtan.reports import write_reports
from lingtan.services.report_data import report_data
from lingtan.store.models import Inventory, utc_now
from lingtan.web.api import Id
from lingtan.web.deps import ApiError, Db, User, scoped

__all__ = ["MAX_WAITING_JOBS", "REPORT_PROCESSES", "router", "shutdown"]

#: Processes that render reports (each renders one language at a time).
REPORT_PROCESSES = 1
#: Jobs that may wait or run at once; more are refused with 429 until some finish.
MAX_WAITING_JOBS = 8

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    shutdown(app)


router = APIRouter(prefix="/api/v1", lifespan=_lifespan)


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    langs: list[Literal["zh-CN", "en"]] = Field(
        ["zh-CN", "en"], min_length=1, max_length=2, description="Languages, one task each."
    )
    formats: list[Literal["html", "pdf", "xlsx"]] = Field(
        ["html", "pdf", "xlsx"], min_length=1, max_length=3
    )


class ReportJobOut(BaseModel):
    id: str
    inventory_id: int
    status: Literal["queued", "running", "done", "failed"]
    tasks_done: int = Field(description="Languages rendered.")
    tasks: int = Field(description="Languages asked for.")
    created_at: datetime
    files: list[str] = Field(description="Names of the files ready to download.")
    error: str | None


@dataclass
class _Job:
    id: str
    facility_id: int
    inventory_id: int
    created_at: datetime
    folder: Path
    tasks: list[Future] = field(default_factory=list)

    def files(self) -> list[str]:
        return [
            Path(p).name for t in self.tasks if t.done() and not t.exception() for p in t.result()
        ]

    def status(self) -> tuple[str, str | None]:
        failed = [t for t in self.tasks if t.done() and t.exception() is not None]
        if failed:
            error = failed[0].exception()
            # a worker process that died takes its traceback with it: say what is known
            return "failed", f"{type(error).__name__}: {error}"[:500]
        if all(t.done() for t in self.tasks):
            return "done", None
        return ("running" if any(t.running() or t.done() for t in self.tasks) else "queued"), None

    def as_dict(self) -> dict[str, Any]:
        status, error = self.status()
        return {
            "id": self.id,
            "inventory_id": self.inventory_id,
            "status": status,
            "tasks_done": sum(t.done() for t in self.tasks),
            "tasks": len(self.tasks),
            "created_at": self.created_at,
            "files": self.files(),
            "error": error,
        }


class _Jobs:
    """The report jobs of one application: its worker process, folder and jobs by id."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.pool = ProcessPoolExecutor(REPORT_PROCESSES, mp_context=context)
        self.folder = Path(tempfile.mkdtemp(prefix="lingtan-reports-"))
        self.jobs: dict[str, _Job] = {}
        self.lock = threading.Lock()

    def waiting(self) -> int:
        return sum(1 for j in self.jobs.values() if not all(t.done() for t in j.tasks))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


_CREATING = threading.Lock()


def _jobs(request: Request) -> _Jobs:
    state = request.app.state
    with _CREATING:
        jobs = getattr(state, "report_jobs", None)
        if jobs is None:
            jobs = state.report_jobs = _Jobs()
    return jobs


def shutdown(app: FastAPI) -> None:
    """Stop the report process (jobs not started are cancelled) and remove the files; called
    when the application shuts down."""
    jobs = getattr(app.state, "report_jobs", None)
    if jobs is not None:
        app.state.report_jobs = None
        jobs.close()


def _job(request: Request, who: Any, job_id: str) -> _Job:
    jobs = _jobs(request)
    found = jobs.jobs.get(job_id)
    if found is None or found.facility_id not in who.readable:
        raise ApiError(404, "no such report job")
    return found


JobId = Annotated[str, PathParam(pattern="^[0-9a-f]{32}$", description="Job id.")]


@router.post(
    "/inventories/{inventory_id}/reports",
    response_model=ReportJobOut,
    status_code=202,
    tags=["reports"],
)
def start_report(
    request: Request, session: Db, who: User, inventory_id: Id, body: ReportRequest | None = None
) -> dict[str, Any]:
    """Start writing the GB/T 32150 report of an inventory (HTML, PDF, XLSX; zh-CN and
    English) in the background; poll the job it answers with."""
    body = body or ReportRequest()
    inventory = scoped(
        session,
        who,
        select(Inventory).where(Inventory.id == inventory_id),
        Inventory.facility_id,
        what="no such inventory",
    )
    data = report_data(session, inventory)
    jobs = _jobs(request)
    with jobs.lock:
        if jobs.waiting() >= MAX_WAITING_JOBS:
            raise ApiError(
                429,
                "too many reports are being written: try again in a minute",
                {"Retry-After": "60"},
            )
        job_id = secrets.token_hex(16)
        folder = jobs.folder / job_id
        job = _Job(job_id, inventory.facility_id, inventory.id, utc_now(), folder)
        formats = tuple(dict.fromkeys(body.formats))
        for lang in dict.fromkeys(body.langs):
            job.tasks.append(jobs.pool.submit(write_reports, data, folder, (lang,), formats))
        jobs.jobs[job_id] = job
    return job.as_dict()


@router.get("/report-jobs/{job_id}", response_model=ReportJobOut, tags=["reports"])
def get_report_job(request: Request, who: User, job_id: JobId) -> dict[str, Any]:
    """Status and progress of a report job, and its files once written."""
    return _job(request, who, job_id).as_dict()


@router.get(
    "/report-jobs/{job_id}/files/{name}",
    response_class=FileResponse,
    tags=["reports"],
    responses={200: {"content": {t: {} for t in _MEDIA_TYPES.values()}}},
)
def download_report(request: Request, who: User, job_id: JobId, name: str) -> FileResponse:
    """A file of a finished report job."""
    job = _job(request, who, job_id)
    if name not in job.files():
        raise ApiError(404, "no such file in this job (is it finished?)")
    path = job.folder / name
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        filename=name,
        content_disposition_type="attachment",
    )
