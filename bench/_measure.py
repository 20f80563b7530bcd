"""Run one `gateway` command in this process and report its wall time and peak RSS as JSON on
the last line of stderr, so a benchmark can measure each step in its own fresh process."""

from __future__ import annotations

import json
import resource
import sys
import time

from gateway.cli import main

started = time.perf_counter()
code = 0
try:
    main.main(args=sys.argv[1:], standalone_mode=False)
except SystemExit as exc:  # click exits for usage errors
    code = int(exc.code or 0)
seconds = time.perf_counter() - started


def _peak_kib() -> int:
    """This process's own peak RSS. VmHWM belongs to the address space execve made; getrusage's
    ru_maxrss can carry the high-water mark of the parent that forked us."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


peak_kib = _peak_kib()
usage = resource.getrusage(resource.RUSAGE_SELF)
# CPU seconds of this process: on a shared machine the wall time says more about the other
# tenants than about the step, the CPU time much less.
print(json.dumps({"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_mib": peak_kib / 1024, "code": code}), file=sys.stderr)
sys.exit(code)
