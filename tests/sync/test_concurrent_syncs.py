"""Two syncs at once on one store: before, the second's deferred BEGIN upgraded to a write and
crashed with "database is locked"; now the second waits for the first and both end cleanly."""

from __future__ import annotations

import threading

from gateway.config import SourceConfig
from gateway.store import make_engine
from gateway.sync.report import RunReport
from gateway.sync.runner import run_sync
from tests.oneroster.district import two_schools


def test_two_concurrent_syncs_both_end_cleanly_one_applying_the_other_after_it(
    engine, database_url,
) -> None:
    reports: list[RunReport] = []
    failures: list[BaseException] = []

    def sync() -> None:
        own = make_engine(database_url)
        try:
            reports.append(run_sync(own, SourceConfig(name="sis", adapter="test"),
                                    iter(two_schools()), adapter_name="test"))
        except BaseException as exc:  # noqa: BLE001 - the test reports what a thread raised
            failures.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    states = sorted(r.state for r in reports)
    assert states == ["applied", "unchanged"], [r.message for r in reports]
