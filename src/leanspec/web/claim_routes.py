"""The claim routes of the JSON API (docs/claims.md): list, peek, claim, release."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..core.errors import InvalidInput
from ..workflows import claims as claims_api
from .calls import Call, check_ref, json_response, opt_str, query_bool, query_int
from .write_routes import check_keys


# ====================================================================== claims
def _holder(body: dict[str, Any]) -> str:
    h = body.get("holder")
    if not isinstance(h, str) or not h.strip():
        raise InvalidInput("holder (a string: who claims) is required")
    return h


def _flag(body: dict[str, Any], key: str) -> bool:
    v = body.get(key, False)
    if not isinstance(v, bool):
        raise InvalidInput(f"{key} must be true or false")
    return v


def list_claims(call: Call) -> dict[str, Any]:
    leases = claims_api.list_claims(call.project, include_expired=query_bool(call.query.get("all")), remote=call.query.get("remote") or None)
    now = claims_api.claims_now_of(call.project)
    items = [x.to_dict(now) for x in leases]
    return {"ok": True, "claims": items, "total": len(items)}


def next_claim(call: Call) -> dict[str, Any]:
    top, r = claims_api.next_ready(call.project, remote=call.query.get("remote") or None)
    ready = r.ready()
    limit = query_int(call.query.get("limit"), "limit", 5, 0, 1000) or 0
    return {
        "ok": True,
        "spec": top.to_dict() if top is not None else None,
        "ready_total": len(ready),
        "ready": [s.name for s in ready[:limit]],
    }


def post_claim(call: Call) -> Response:
    body = call.body or {}
    check_keys(body, {"holder", "spec", "lease", "force", "renew", "remote"})
    spec = opt_str(body, "spec")
    if spec is not None:
        check_ref(spec)
    lease = body.get("lease")
    if lease is not None and (isinstance(lease, bool) or not isinstance(lease, str | int | float)):
        raise InvalidInput("lease must be a duration such as 30m, or a number of seconds")
    res = claims_api.claim(call.project,
        spec,
        holder=_holder(body),
        lease=lease,
        force=_flag(body, "force"),
        renew=_flag(body, "renew"),
        remote=opt_str(body, "remote"),
    )
    return json_response(res.to_dict(), hash_=res.spec.content_hash)


def release_claim(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    body = call.body or {}
    check_keys(body, {"holder", "status", "force", "remote"})
    res = claims_api.release(call.project,
        ref,
        holder=_holder(body),
        status=opt_str(body, "status"),
        force=_flag(body, "force"),
        remote=opt_str(body, "remote"),
    )
    return json_response(res.to_dict(), hash_=res.spec.content_hash)
