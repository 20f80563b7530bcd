"""One response, one snapshot: a sync that commits between a response's count and its page must
not make them disagree (PostgreSQL's READ COMMITTED would give each statement its own)."""

from __future__ import annotations

from sqlalchemy import event, text

V12 = "/ims/oneroster/rostering/v1p2"
EDFI = "/data/v3/ed-fi"


def _commit_after_the_count(api) -> list[bool]:  # noqa: ANN001
    """Tombstone school A's students from another connection as soon as the app has counted,
    as a sync commits them: with the next change version (readers key their caches by it)."""
    fired: list[bool] = []
    reads = api.app.extensions["gateway.store"].snapshots

    @event.listens_for(reads, "after_cursor_execute")
    def _sync_lands(conn, cursor, statement, *args):  # noqa: ANN001, ANN202
        if not fired and "count(" in statement.lower():
            fired.append(True)
            with api.engine.begin() as other:
                other.execute(text("UPDATE users SET status = 'tobedeleted' "
                                   "WHERE sourced_id LIKE 'stu-a%'"))
                other.execute(text("UPDATE change_counter SET value = value + 1 WHERE id = 1"))
    return fired


def test_a_oneroster_page_agrees_with_its_total_while_a_sync_commits_between_them(api):
    get = api.as_app()
    fired = _commit_after_the_count(api)
    response = get(f"{V12}/schools/sch-a/students")
    assert fired
    students = response.get_json()["users"]
    assert int(response.headers["X-Total-Count"]) == len(students) == 5
    after = get(f"{V12}/schools/sch-a/students")  # the next response sees the sync
    assert int(after.headers["X-Total-Count"]) == len(after.get_json()["users"]) == 0


def test_an_edfi_page_agrees_with_its_total_count_while_a_sync_commits_between_them(api):
    get = api.as_app(scopes=["edfi.readonly"])
    fired = _commit_after_the_count(api)
    response = get(f"{EDFI}/students?totalCount=true&limit=100")
    assert fired
    assert int(response.headers["Total-Count"]) == len(response.get_json()) == 10


def test_a_sync_committing_after_the_snapshots_first_statement_is_not_seen_by_its_page(api):
    """The request's first statement (the store's versions and the token's revocation, sent
    with the BEGIN on PostgreSQL: gateway.store.snapshot) already belongs to the snapshot the
    count and the page read: a sync landing right after it is seen by neither."""
    get = api.as_app()
    fired: list[bool] = []
    reads = api.app.extensions["gateway.store"].snapshots

    @event.listens_for(reads, "after_cursor_execute")
    def _sync_lands(conn, cursor, statement, *args):  # noqa: ANN001, ANN202
        if not fired and "revoked_tokens" in statement and "change_counter" in statement:
            fired.append(True)
            with api.engine.begin() as other:
                other.execute(text("UPDATE users SET status = 'tobedeleted' "
                                   "WHERE sourced_id LIKE 'stu-a%'"))
                other.execute(text("UPDATE change_counter SET value = value + 1 WHERE id = 1"))

    response = get(f"{V12}/schools/sch-a/students")
    assert fired
    assert int(response.headers["X-Total-Count"]) == len(response.get_json()["users"]) == 5
    after = get(f"{V12}/schools/sch-a/students")
    assert int(after.headers["X-Total-Count"]) == len(after.get_json()["users"]) == 0


def test_single_reads_of_different_users_share_one_compiled_statement(api):
    """A single read's sourcedId is bound at each execution: a worker meeting a new user does
    not compile (about 1 ms) a statement for it."""
    get = api.as_app()
    statements = api.app.extensions["gateway.store"].read_caches.statements.items
    assert get(f"{V12}/users/stu-a1").status_code == 200
    compiled = len(statements)
    assert get(f"{V12}/users/stu-a2").status_code == 200
    assert get(f"{V12}/users/stu-b1").status_code == 200
    assert len(statements) == compiled
