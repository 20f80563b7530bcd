"""Privacy probes: what an app may not see must stay unseen however it asks."""

from __future__ import annotations

from ..cases import Case
from ..context import RunContext, dig
from ..outcome import CaseSkipped, CheckFailed
from ..paging import count, page_items, walk
from . import check_kind


@check_kind("hidden-from-collection")
def hidden_from_collection(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """The hidden value matches nothing: not alone, not OR-ed with a visible one, not by walking.

    The OR form is the one that catches a policy predicate ANDed without parentheses.
    """
    path, service = case.params["path"], case.params.get("service")
    field = case.params.get("field", "sourcedId")
    hidden = bindings[case.params["hidden"]]
    visible = bindings[case.params["visible"]]
    if hidden == visible:
        raise CaseSkipped(f"the hidden value {hidden!r} is visible here, so nothing can be probed")

    def leaked(filter_text: str) -> list[str]:
        reply = ctx.call(path, service=service, query={"filter": filter_text, "limit": 100},
                         bindings=bindings)
        items = page_items(reply)
        if filter_text.count("OR") and not any(dig(i, field) == visible for i in items):
            raise CheckFailed(f"{reply.describe()}: filter={filter_text} lost the visible "
                              f"{field}={visible!r}, so scope cannot be judged")
        return [str(i.get("sourcedId")) for i in items if dig(i, field) == hidden]

    for filter_text in (f"{field}='{hidden}'", f"{field}='{visible}' OR {field}='{hidden}'"):
        found = leaked(filter_text)
        if found:
            raise CheckFailed(f"{path}?filter={filter_text} revealed {field}={hidden!r} "
                              f"in items {found[:5]}")
    total = count(ctx, path, service, {}, bindings)
    if total > ctx.config.max_pages * ctx.config.page_limit:
        return
    items = walk(ctx, path, service=service, bindings=bindings).items
    found = [str(i.get("sourcedId")) for i in items if dig(i, field) == hidden]
    if found:
        raise CheckFailed(f"walking {path} revealed {field}={hidden!r} in items {found[:5]}")


@check_kind("other-client-cannot-revoke")
def other_client_cannot_revoke(ctx: RunContext, case: Case, bindings: dict[str, str]) -> None:
    """A second app revoking this app's token must not end it (RFC 7009 section 2.1)."""
    url = ctx.config.revocation_url
    assert url is not None
    token = ctx.fresh_token()
    other = (ctx.config.other_client_id or "", ctx.config.other_client_secret or "")
    ctx.http.request("POST", url, data={"token": token}, auth=other)
    reply = ctx.call(case.params["path"], service=case.params.get("service"),
                     query={"limit": 1}, auth="raw:" + token)
    if reply.status != 200:
        raise CheckFailed(f"after the other app asked to revoke this app's token, "
                          f"{reply.describe()}")
