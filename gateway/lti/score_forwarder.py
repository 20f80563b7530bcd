"""The thread that takes scores to the LMSs, out of the request path: a tool's score is
answered as soon as it is in the district's gradebook and the forwarding queue
(lti_score_forwards); this thread, one per app object (per server process), is woken by the
enqueue and delivers what is due, with the quick retries for a busy LMS, then sleeps until the
next backoff is due (or a poll interval, for retries other processes queued). Delivery stays
at least once and in order per (LMS line item, LMS user) by the high-water mark in
lms_grades; `gateway lti forward-scores` does the same from cron for a gateway whose server
is down."""

from __future__ import annotations

import logging
import threading
import weakref

from flask import Flask

log = logging.getLogger(__name__)

POLL = 30.0  # seconds between looks at the queue when nothing wakes the thread


class ScoreForwarder:
    def __init__(self, app: Flask, poll: float = POLL) -> None:
        self._app = weakref.ref(app)
        self._poll = poll
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._pending = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        """A score was queued: deliver it soon (starts the thread the first time)."""
        with self._idle:
            self._pending = True
        with self._lock:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="lti-score-forwarder",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until everything woken for has been tried (tests, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        from gateway.lti.lms_grades import deliver_due  # noqa: PLC0415 - no import cycle

        while not self._stopped:
            self._wake.wait(self._poll)
            self._wake.clear()
            app = self._app()
            if app is None or self._stopped:
                break
            with self._idle:
                self._busy, self._pending = True, False
            try:
                with app.app_context():
                    while deliver_due(quick=True):
                        pass  # more were due (or queued meanwhile): go again
            except Exception:  # noqa: BLE001 - the queue keeps them; the next round retries
                log.exception("delivering queued scores to LMSs failed")
            finally:
                with self._idle:
                    self._busy = False
                    self._idle.notify_all()
        with self._idle:
            self._pending = self._busy = False
            self._idle.notify_all()
