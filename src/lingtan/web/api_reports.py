"""Inventory reports as background jobs: ``POST /api/v1/inventories/{id}/reports`` starts one,
``GET /api/v1/report-jobs/{job}`` tells how far it is, ``GET .../files/{name}`` downloads.

A report takes seconds per language (the PDF above all) and matplotlib, which draws its
charts, must not run in two threads of one process. So the request reads the report's data
(:func:`lingtan.services.report_data.report_data`) in its own transaction, records the job as
a :class:`~lingtan.store.models.ReportJob` row (``queued``) and hands the data to a separate
process (a spawned :class:`~concurrent.futures.ProcessPoolExecutor` of
:data:`REPORT_PROCESSES` worker per server process), one task per language. Each task
(:func:`render_task`) calls :func:`lingtan.reports.write_reports` and updates the row itself
through its own engine on the same database: ``running``, one more of ``tasks_done`` and its
``files``, then ``done``, or ``failed`` with the error.

Every server process (``lingtan serve --workers``) answers for every job: status and files are
read from the row and from the reports folder (:func:`reports_root`), one sub-folder per job.
The server process that runs a job renews the row's ``alive_at`` every :data:`HEARTBEAT_S`
seconds while the job waits or runs. A ``queued`` or ``running`` job not renewed for
:data:`STALE_AFTER` lost its server (stopped, killed, restarted): it is marked ``failed`` with
:data:`STOPPED` when it is next polled or a job is started; a server that stops in order marks
its unfinished jobs at once. Jobs older than :data:`KEEP_FOR` are removed, files and all, when
a new job starts.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import threading
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, func, select, update

from lingtan.i18n import Message
from lingtan.reports import MissingFontError, ReportData, check_font, write_reports
from lingtan.services.report_data import report_data
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import Facility, Inventory, ReportJob, utc_now
from lingtan.web.api import Id
from lingtan.web.deps import ApiError, Db, User, scoped

__all__ = [
    "HEARTBEAT_S",
    "KEEP_FOR",
    "MAX_WAITING_JOBS",
    "PARENT_CHECK_S",
    "REPORT_PROCESSES",
    "STALE_AFTER",
    "STOPPED",
    "render_task",
    "reports_root",
    "router",
    "shutdown",
]

#: Processes that render reports, per server process (each renders one language at a time).
REPORT_PROCESSES = 1
#: Jobs of one organization that may wait or run at once, over all server processes; more are
#: refused with 429 (to that organization only: another's jobs never count).
MAX_WAITING_JOBS = 8
#: How often the server process running a job renews its ``alive_at`` [s].
HEARTBEAT_S = 10.0
#: A waiting or running job not renewed for this long can no longer finish.
STALE_AFTER = timedelta(seconds=60)
#: How often a rendering process checks that its server process is alive [s].
PARENT_CHECK_S = 1.0
#: Jobs (and their files) are kept this long after they were started.
KEEP_FOR = timedelta(days=7)
#: The error of a job whose server process stopped before it was written.
STOPPED = "the server stopped before the report was written: ask again"

_UNFINISHED = ("queued", "running")
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
    model_config = ConfigDict(from_attributes=True)
    id: str
    inventory_id: int
    status: Literal["queued", "running", "done", "failed"]
    tasks_done: int = Field(description="Languages rendered.")
    tasks: int = Field(description="Languages asked for.")
    created_at: datetime
    files: list[str] = Field(description="Names of the files ready to download.")
    error: str | None


def reports_root(evidence_root: Path) -> Path:
    """The reports folder that goes with an evidence folder: beside it, named alike
    (``plant-evidence`` → ``plant-reports``, ``…/evidence`` → ``…/reports``), so that every
    server process of a database finds the same files."""
    name = evidence_root.name
    stem = name.removesuffix("evidence") if name.endswith("evidence") else f"{name}-"
    return evidence_root.with_name(f"{stem}reports")


# --- the rendering process --------------------------------------------------------------------

_ENGINES: dict[str, Engine] = {}


def render_task(
    url: str, job_id: str, data: ReportData, folder: Path, lang: str, formats: Sequence[str]
) -> None:
    """Write one language of a job and record it in the job's row (runs in the rendering
    process, with an engine of its own on the database at ``url``). A job that has already
    failed is not rendered further; a failure is recorded as the job's error."""
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = make_engine(url)
    with session_scope(engine) as session:
        job = session.get(ReportJob, job_id, with_for_update=True)
        if job is None or job.status not in _UNFINISHED:
            return
        job.status = "running"
    try:
        paths = write_reports(data, folder, (lang,), formats)
    except Exception as error:
        _finish(engine, job_id, f"{type(error).__name__}: {error}")
        return
    with session_scope(engine) as session:
        job = session.get(ReportJob, job_id, with_for_update=True)
        if job is None or job.status not in _UNFINISHED:
            return
        job.tasks_done += 1
        job.files = [*job.files, *(p.name for p in paths)]
        if job.tasks_done == job.tasks:
            job.status, job.finished_at = "done", utc_now()


def _end_with(server: int) -> None:
    """Make this rendering process end when the server process ``server`` that started it
    is gone: killed (out of memory, or by uvicorn), it runs no clean-up, and the rendering
    process would live on with its hundreds of megabytes. The orphan is adopted by another
    process, which its parent id tells. (Linux's PR_SET_PDEATHSIG would fire when the
    *thread* that started the process ends, and these are started by request threads.)"""

    def watch() -> None:
        while os.getppid() == server:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-server", daemon=True).start()


def _finish(engine: Engine, job_id: str, error: str) -> None:
    """Mark a job ``failed`` with ``error``, unless it has already ended."""
    with session_scope(engine) as session:
        session.execute(
            update(ReportJob)
            .where(ReportJob.id == job_id, ReportJob.status.in_(_UNFINISHED))
            .values(status="failed", error=error[:500], finished_at=utc_now())
        )


# --- the server process -----------------------------------------------------------------------


class _Jobs:
    """The report jobs a server process runs: its rendering process, and the futures of its
    unfinished jobs, whose rows a thread keeps alive."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.pool = self._new_pool()
        self.engine, self.folder = engine, folder
        self.url = engine.url.render_as_string(hide_password=False)
        self.running: dict[str, list[Future]] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.heart = threading.Thread(target=self._beat, name="report-jobs", daemon=True)
        self.heart.start()

    @staticmethod
    def _new_pool() -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        return ProcessPoolExecutor(
            REPORT_PROCESSES, mp_context=context, initializer=_end_with, initargs=(os.getpid(),)
        )

    def submit(
        self, job_id: str, data: ReportData, langs: Sequence[str], formats: Sequence[str]
    ) -> None:
        args = (self.url, job_id, data, self.folder / job_id)
        with self.lock:
            try:
                tasks = [self.pool.submit(render_task, *args, lang, formats) for lang in langs]
            except BrokenProcessPool:  # the rendering process died (killed, out of memory)
                self.pool.shutdown(wait=False)
                self.pool = self._new_pool()
                tasks = [self.pool.submit(render_task, *args, lang, formats) for lang in langs]
            self.running[job_id] = tasks
        for task in tasks:
            task.add_done_callback(lambda done, job_id=job_id: self._settle(job_id, done))

    def _settle(self, job_id: str, task: Future) -> None:
        # render_task records its own outcome; what reaches here is a task that never ran
        # (cancelled when the server stopped) or a rendering process that died
        if task.cancelled():
            _finish(self.engine, job_id, STOPPED)
        elif task.exception() is not None:
            error = task.exception()
            _finish(self.engine, job_id, f"{type(error).__name__}: {error}")
        with self.lock:
            if all(t.done() for t in self.running.get(job_id, ())):
                self.running.pop(job_id, None)

    def _beat(self) -> None:
        while not self.stopping.wait(HEARTBEAT_S):
            with self.lock:
                ids = list(self.running)
            if ids:
                with session_scope(self.engine) as session:
                    session.execute(
                        update(ReportJob)
                        .where(ReportJob.id.in_(ids), ReportJob.status.in_(_UNFINISHED))
                        .values(alive_at=utc_now())
                    )

    def close(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.heart.join()


_CREATING = threading.Lock()


def _jobs(request: Request) -> _Jobs:
    state = request.app.state
    with _CREATING:
        jobs = getattr(state, "report_jobs", None)
        if jobs is None:
            jobs = state.report_jobs = _Jobs(state.engine, reports_root(state.evidence_root))
    return jobs


def shutdown(app: FastAPI) -> None:
    """Stop the rendering process: the tasks it has begun are finished, the jobs not yet
    written are marked ``failed`` (:data:`STOPPED`); called when the application shuts down."""
    jobs = getattr(app.state, "report_jobs", None)
    if jobs is not None:
        app.state.report_jobs = None
        jobs.close()


def _expire_stale(session: Any) -> None:
    """Mark the waiting and running jobs that no server process keeps alive as failed."""
    now = utc_now()
    session.execute(
        update(ReportJob)
        .where(ReportJob.status.in_(_UNFINISHED), ReportJob.alive_at < now - STALE_AFTER)
        .values(status="failed", error=STOPPED, finished_at=now)
    )


def _job(session: Any, who: Any, job_id: str) -> ReportJob:
    found = session.get(ReportJob, job_id)
    if found is None or found.facility_id not in who.readable:
        raise ApiError(404, Message("no such report job"))
    return found


JobId = Annotated[str, PathParam(pattern="^[0-9a-f]{32}$", description="Job id.")]


#: The 503 of a report that needs the CJK font this server lacks (the log of
#: :func:`lingtan.reports.charts.check_font` has the details).
_NO_FONT = Message(
    "the HTML and PDF reports need a CJK font and this server has none: install Noto Sans "
    "CJK SC (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk; in a lingtan checkout: sudo "
    "scripts/setup-machine demo); the XLSX report needs no font"
)


@router.post(
    "/inventories/{inventory_id}/reports",
    response_model=ReportJobOut,
    status_code=202,
    tags=["reports"],
)
def start_report(
    request: Request, session: Db, who: User, inventory_id: Id, body: ReportRequest | None = None
) -> ReportJob:
    """Start writing the GB/T 32150 report of an inventory (HTML, PDF, XLSX; zh-CN and
    English) in the background; poll the job it answers with. Not for viewers (403); an
    organization with :data:`MAX_WAITING_JOBS` unfinished jobs waits (429)."""
    if not who.starts_reports:
        raise ApiError(403, Message("Your role may not start report jobs."))
    body = body or ReportRequest()
    try:
        check_font(body.formats)
    except MissingFontError as error:  # refused before any job is recorded
        raise ApiError(503, _NO_FONT) from error
    inventory = scoped(
        session,
        who,
        select(Inventory).where(Inventory.id == inventory_id),
        Inventory.facility_id,
        what=Message("no such inventory"),
    )
    data = report_data(session, inventory)
    jobs = _jobs(request)
    _expire_stale(session)
    organization_id = session.scalar(
        select(Facility.organization_id).where(Facility.id == inventory.facility_id)
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(ReportJob)
        .join(Facility, Facility.id == ReportJob.facility_id)
        .where(ReportJob.status.in_(_UNFINISHED), Facility.organization_id == organization_id)
    )
    if waiting >= MAX_WAITING_JOBS:
        raise ApiError(
            429,
            Message("too many reports are being written: try again in a minute"),
            {"Retry-After": "60"},
        )
    expired = session.scalars(
        select(ReportJob.id).where(
            ReportJob.created_at < utc_now() - KEEP_FOR, ReportJob.status.not_in(_UNFINISHED)
        )
    ).all()
    session.execute(delete(ReportJob).where(ReportJob.id.in_(expired)))
    langs, formats = list(dict.fromkeys(body.langs)), list(dict.fromkeys(body.formats))
    job = ReportJob(
        id=secrets.token_hex(16),
        facility_id=inventory.facility_id,
        inventory_id=inventory.id,
        langs=langs,
        formats=formats,
        status="queued",
        tasks=len(langs),
        tasks_done=0,
        files=[],
        created_by=who.name,
    )
    session.add(job)
    session.commit()  # the rendering process finds the row, and no removed job's row is left
    for old in expired:
        shutil.rmtree(jobs.folder / old, ignore_errors=True)
    jobs.submit(job.id, data, langs, tuple(formats))
    return job


@router.get("/report-jobs/{job_id}", response_model=ReportJobOut, tags=["reports"])
def get_report_job(request: Request, session: Db, who: User, job_id: JobId) -> ReportJob:
    """Status and progress of a report job, and its files once written."""
    job = _job(session, who, job_id)
    if job.status in _UNFINISHED and job.alive_at < utc_now() - STALE_AFTER:
        with session_scope(request.app.state.engine) as writer:
            _expire_stale(writer)
            job = _job(writer, who, job_id)
    return job


@router.get(
    "/report-jobs/{job_id}/files/{name}",
    response_class=FileResponse,
    tags=["reports"],
    responses={200: {"content": {t: {} for t in _MEDIA_TYPES.values()}}},
)
def download_report(
    request: Request, session: Db, who: User, job_id: JobId, name: str
) -> FileResponse:
    """A file of a finished report job."""
    job = _job(session, who, job_id)
    path = reports_root(request.app.state.evidence_root) / job_id / name
    if name not in job.files or not path.is_file():
        raise ApiError(404, Message("no such file in this job (is it finished?)"))
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES[path.suffix],
        filename=name,
        content_disposition_type="attachment",
    )
