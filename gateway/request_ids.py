"""Ids for responses (X-Request-Id, Ed-Fi correlation ids, the disclosure log's request id).

They only need to be unique, not unpredictable: a random prefix drawn once per process (again
after a fork, so gunicorn workers differ) and a counter, 32 hex digits like a UUID's. A
uuid4 per request costs a system call for randomness on every request.
"""

from __future__ import annotations

import itertools
import os
import threading
import uuid

_lock = threading.Lock()
_state: dict[str, object] = {"pid": None}


def new_request_id() -> str:
    pid = os.getpid()
    with _lock:
        if _state["pid"] != pid:
            _state.update(pid=pid, prefix=uuid.uuid4().hex[:16], counter=itertools.count())
        number = next(_state["counter"])  # type: ignore[call-overload]
        prefix = _state["prefix"]
    return f"{prefix}{number:016x}"
