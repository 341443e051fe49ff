"""Admission: a burst on the heavy screens and figures cannot take the server down.

Requests come in two classes, told apart by their path (:data:`HEAVY_PATHS`: the energy
screens and the energy figures of the API, which compute from the metered data):

* a **light** request waits in the event loop for one of ``light`` places;
* a **heavy** request (a ``GET`` of :data:`HEAVY_PATHS`, a ``POST`` of :data:`HEAVY_POSTS`:
  the planning page's solve) takes one of ``heavy`` places of its own, so that heavy
  requests never hold the places the light ones need. At most ``queue`` heavy requests wait
  for a place, each at most ``wait_s``; any other heavy request gets a **503** at once, with
  ``Retry-After`` and a message in the request's language. Waiting holds no thread and no
  database connection.

A heavy request carries a :class:`Watch` (:func:`watch`): its deadline (``deadline_s`` after
it came) and whether its client has gone. A client that leaves while it waits frees its place
in the queue at once; code computing for it calls :meth:`Watch.check` between its steps,
which stops the work (a 503) once the client has gone or the deadline has passed, so no work
goes on for nobody.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lingtan.i18n import N_
from lingtan.web import i18n
from lingtan.web.deps import ApiError, error_body

__all__ = ["HEAVY_PATHS", "HEAVY_POSTS", "Admission", "Watch", "busy", "watch"]

#: Paths of the heavy requests: the energy screens (overview, energy, node, budgets,
#: intensity, alerts, a meter's data, efficiency, a footprint study's result) and the API's
#: figures computed from metered data (the equipment register's replacements use the year's
#: metered energy and cost; a study's footprint its meters and, with draws, Monte Carlo).
HEAVY_PATHS = re.compile(
    r"/overview|/energy(/nodes/[^/]+)?|/budgets|/intensity|/alerts|/data/meters/[^/]+"
    r"|/efficiency|/footprint/studies/[^/]+"
    r"|/api/v1/facilities/[^/]+/(energy/.+|alerts|rollups|data-quality|equipment"
    r"|footprint/studies/[^/]+"
    r"|meters/[^/]+/(readings|intervals|carbon|tou|totals))"
)
#: Paths of the heavy form posts: the planning page's solve of an uploaded problem.
HEAVY_POSTS = re.compile(r"/planning/plans")
#: Seconds a client is asked to wait before it tries again.
RETRY_AFTER_S = 2
BUSY = N_("The server is busy: try again in a few seconds.")
STOPPED = N_("The request took too long and was stopped: try again in a few seconds.")
_WATCH = "lingtan.watch"


class StoppedError(ApiError):
    """Work given up for a heavy request: its client has gone or its deadline has passed."""

    def __init__(self) -> None:
        super().__init__(503, STOPPED, {"Retry-After": str(RETRY_AFTER_S)})


class Watch:
    """The deadline of a heavy request and whether its client has gone (thread-safe)."""

    def __init__(self, deadline_s: float) -> None:
        self.deadline = time.monotonic() + deadline_s
        self.gone = threading.Event()

    def check(self) -> None:
        """Raise :class:`StoppedError` if the client has gone or the deadline has passed."""
        if self.gone.is_set() or time.monotonic() > self.deadline:
            raise StoppedError


_UNWATCHED = Watch(float("inf"))


def watch(request: Request) -> Watch:
    """The :class:`Watch` of a heavy request; one that never stops for any other."""
    return request.scope.get(_WATCH, _UNWATCHED)


def busy(request: Request, message: str = BUSY) -> Response:
    """The 503 of a request refused or stopped: a page for a browser, JSON for the API."""
    t = i18n.texts(i18n.language(request))
    text, headers = t.gettext(message), {"Retry-After": str(RETRY_AFTER_S)}
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body(503, text), status_code=503, headers=headers)
    page = (
        f'<!doctype html><html lang="{t.lang}"><meta charset="utf-8">'
        f"<title>503 · lingtan</title><h1>503</h1><p>{text}</p></html>"
    )
    return HTMLResponse(page, status_code=503, headers=headers)


class Admission:
    """ASGI middleware admitting light and heavy requests to their places (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        light: int,
        heavy: int,
        queue: int,
        wait_s: float,
        deadline_s: float,
        heavy_paths: re.Pattern[str] = HEAVY_PATHS,
        heavy_posts: re.Pattern[str] = HEAVY_POSTS,
    ) -> None:
        self.app, self.heavy_paths, self.heavy_posts = app, heavy_paths, heavy_posts
        self.sizes = {"light": light, "heavy": heavy}
        self.queue, self.wait_s, self.deadline_s = queue, wait_s, deadline_s
        self.waiting = 0
        self._places: dict[str, asyncio.Semaphore] = {}

    def _semaphore(self, kind: str) -> asyncio.Semaphore:
        if kind not in self._places:  # created in the server's event loop
            self._places[kind] = asyncio.Semaphore(self.sizes[kind])
        return self._places[kind]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        paths = {"GET": self.heavy_paths, "HEAD": self.heavy_paths, "POST": self.heavy_posts}
        heavy = paths.get(scope["method"])
        if heavy is None or not heavy.fullmatch(scope["path"]):
            async with self._semaphore("light"):
                await self.app(scope, receive, send)
            return
        if self.waiting >= self.queue:
            await busy(Request(scope))(scope, receive, send)
            return
        scope[_WATCH] = seen = Watch(self.deadline_s)
        listening = _Listener(receive, seen)
        try:
            if await self._admitted(listening):
                try:
                    await self.app(scope, listening.receive, send)
                finally:
                    self._semaphore("heavy").release()
            elif not seen.gone.is_set():
                await busy(Request(scope))(scope, receive, send)
        finally:
            listening.stop()

    async def _admitted(self, listening: _Listener) -> bool:
        """Wait for a heavy place: True once taken; False if the client left or the wait
        was too long."""
        places = self._semaphore("heavy")
        self.waiting += 1
        try:
            taking = asyncio.ensure_future(places.acquire())
            gone = asyncio.ensure_future(listening.gone.wait())
            await asyncio.wait({taking, gone}, timeout=self.wait_s, return_when="FIRST_COMPLETED")
            gone.cancel()
            if not taking.done():
                taking.cancel()
                return False
            if listening.gone.is_set():
                places.release()
                return False
            return True
        finally:
            self.waiting -= 1


class _Listener:
    """Reads the client's messages while the request waits and runs, to learn at once that
    it has gone; the application gets the same messages through :meth:`receive`."""

    def __init__(self, receive: Receive, seen: Watch) -> None:
        self._receive, self._seen = receive, seen
        self._messages: asyncio.Queue[Message] = asyncio.Queue()
        self.gone = asyncio.Event()
        self._task = asyncio.ensure_future(self._listen())

    async def _listen(self) -> None:
        while True:
            message = await self._receive()
            await self._messages.put(message)
            if message["type"] == "http.disconnect":
                self._seen.gone.set()
                self.gone.set()
                return

    async def receive(self) -> Message:
        return await self._messages.get()

    def stop(self) -> None:
        self._task.cancel()
