"""Run `gateway sync ARGS` and freeze inside the apply transaction, for a test to SIGKILL.

The apply begins by reserving the run's change_version (UPDATE change_counter); the first write
after that is the apply itself. There this script writes the marker file named by
GATEWAY_TEST_MARKER and sleeps, holding the open transaction, until it is killed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, event

from gateway.cli import main

MARKER = Path(os.environ["GATEWAY_TEST_MARKER"])
_state = {"counter_reserved": False}


@event.listens_for(Engine, "after_cursor_execute")
def _freeze_in_apply(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
    words = statement.lstrip().split(None, 2)
    verb = words[0].upper() if words else ""
    if verb == "UPDATE" and "change_counter" in statement.split("SET")[0]:
        _state["counter_reserved"] = True
    elif _state["counter_reserved"] and verb in ("INSERT", "UPDATE"):
        MARKER.write_text(statement)
        time.sleep(600)


if __name__ == "__main__":
    main.main(args=sys.argv[1:], prog_name="gateway")
