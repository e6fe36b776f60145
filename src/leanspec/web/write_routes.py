"""The write routes of the JSON API: create, patch (semantic operations and
preconditions), content and file writes, checklist toggles, archive. Every write goes
through the store (same lock, same atomic write, same ``expected_hash`` check as the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from ..core.errors import Conflict, InvalidInput
from ..project import UpdateOps
from ..workflows import claims as claims_api
from .calls import (
    Call,
    ConflictWithCurrent,
    check_file,
    check_ref,
    conflict_extra,
    expected_hash,
    json_response,
    opt_str,
    str_list,
    text_hash,
    write_result,
)

# ===================================================================== writes
CREATE_KEYS = {
    "name", "title", "description", "tags", "priority", "status", "assignee",
    "template", "depends_on", "parent", "content", "fields", "allow_duplicate",
}  # fmt: skip
PATCH_KEYS = {
    "status", "priority", "tags", "add_tags", "remove_tags", "assignee", "depends_on",
    "add_depends", "remove_depends", "parent", "title", "fields", "force", "expected_hash",
    "if_status", "if_assignee",
}  # fmt: skip


def check_keys(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed - {"expected_hash"})
    if unknown:
        raise InvalidInput(
            f"unknown field(s): {', '.join(unknown)}",
            details={"allowed": sorted(allowed)},
        )


def create_spec(call: Call) -> Response:
    body = call.body or {}
    check_keys(body, CREATE_KEYS)
    name = opt_str(body, "name")
    if not name or not name.strip():
        raise InvalidInput("name is required")
    fields = body.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise InvalidInput("fields must be an object")
    res = call.project.create(
        name,
        title=opt_str(body, "title"),
        description=opt_str(body, "description"),
        tags=str_list(body.get("tags"), "tags"),
        priority=opt_str(body, "priority"),
        status=opt_str(body, "status"),
        assignee=opt_str(body, "assignee"),
        template=opt_str(body, "template"),
        fields=fields,
        depends_on=str_list(body.get("depends_on"), "depends_on"),
        parent=opt_str(body, "parent"),
        content=opt_str(body, "content"),
        allow_duplicate=body.get("allow_duplicate") is True,
    )
    resp = write_result(res, 201)
    resp.headers["Location"] = f"/api/specs/{res.spec.name}"
    return resp


def patch_spec(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    body = call.body or {}
    check_keys(body, PATCH_KEYS)
    if not set(body) - {"expected_hash", "force", "if_status", "if_assignee"}:
        raise InvalidInput("nothing to change", details={"allowed": sorted(PATCH_KEYS)})
    if_status, if_assignee = opt_str(body, "if_status"), opt_str(body, "if_assignee")
    # Compare-and-set preconditions are a version check of their own: with one, the
    # content hash is optional.
    want = expected_hash(call, required=if_status is None and if_assignee is None)
    ops = UpdateOps()
    ops.status = opt_str(body, "status")
    ops.priority = opt_str(body, "priority")
    a = body.get("assignee", None)
    if "assignee" in body:
        if a is not None and not isinstance(a, str):
            raise InvalidInput("assignee must be a string")
        ops.assignee = a or ""
    if "tags" in body:
        ops.tags = str_list(body["tags"], "tags")
    ops.add_tags = str_list(body.get("add_tags"), "add_tags")
    ops.remove_tags = str_list(body.get("remove_tags"), "remove_tags")
    if "depends_on" in body:
        ops.clear_depends = True
        ops.add_depends = str_list(body["depends_on"], "depends_on")
    else:
        ops.add_depends = str_list(body.get("add_depends"), "add_depends")
        ops.remove_depends = str_list(body.get("remove_depends"), "remove_depends")
    if "parent" in body:
        p = body["parent"]
        if p is not None and not isinstance(p, str):
            raise InvalidInput("parent must be a string or null")
        ops.parent = p or ""
    ops.title = opt_str(body, "title")
    fields = body.get("fields")
    if fields is not None:
        if not isinstance(fields, dict):
            raise InvalidInput("fields must be an object")
        ops.fields = dict(fields)
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise InvalidInput("force must be true or false")
    res = _guarded(
        call,
        ref,
        None,
        lambda: call.project.update(
            ref, ops, expected_hash=want, force=force, if_status=if_status, if_assignee=if_assignee
        ),
    )
    warnings = claims_api.start_warnings(call.project, res.spec) if "status" in res.changed else []
    return write_result(res, warnings=warnings)


def _guarded(call: Call, ref: str, filename: str | None, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Conflict as exc:
        raise ConflictWithCurrent(exc, conflict_extra(call, ref, filename)) from None


def put_content(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    body = call.body or {}
    check_keys(body, {"content"})
    content = body.get("content")
    if not isinstance(content, str):
        raise InvalidInput("content (a string) is required")
    want = expected_hash(call)
    res = _guarded(call, ref, None, lambda: call.project.update(ref, UpdateOps(content=content), expected_hash=want))
    return write_result(res)


def put_file(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    fname = check_file(call.param("file"))
    body = call.body or {}
    check_keys(body, {"content"})
    content = body.get("content")
    if not isinstance(content, str):
        raise InvalidInput("content (a string) is required")
    want = expected_hash(call)
    spec = call.project.get(ref)
    if fname.lower() == call.project.config.default_file.lower():
        res = _guarded(
            call, spec.name, None, lambda: call.project.write_content(spec.name, content, expected_hash=want)
        )
        return write_result(res)
    _guarded(
        call, spec.name, fname, lambda: call.project.write_content(f"{spec.name}/{fname}", content, expected_hash=want)
    )
    name, rel, text = call.project.read(f"{spec.name}/{fname}")
    h = text_hash(text)
    return json_response(
        {"ok": True, "spec": name, "file": fname, "path": rel, "content_hash": h, "content": text}, hash_=h
    )


def toggle_check(call: Call) -> Response:
    from .render import task_item_at

    ref = check_ref(call.param("ref"))
    body = call.body or {}
    check_keys(body, {"line", "item", "checked"})
    checked = body.get("checked")
    if not isinstance(checked, bool):
        raise InvalidInput("checked must be true or false")
    want = expected_hash(call)
    item = body.get("item")
    if "line" in body:
        line = body["line"]
        if not isinstance(line, int) or isinstance(line, bool):
            raise InvalidInput("line must be a number")
        spec = call.project.get(ref)
        if want is not None and not (
            spec.content_hash == want or (len(want) >= 12 and spec.content_hash.startswith(want))
        ):
            raise ConflictWithCurrent(
                Conflict(
                    f"{spec.path} changed since you read it; nothing was written",
                    hint="re-read the spec and apply your change again",
                    details={"current_hash": spec.content_hash, "expected_hash": want},
                ),
                {"current": spec.to_dict(content=True)},
            )
        found = task_item_at(spec.body, line)
        if found is None:
            raise InvalidInput(f"line {line} is not a checklist item")
        item = found[0]
    if not isinstance(item, str) or not item.strip():
        raise InvalidInput("line (a number) or item (text) is required")
    res = _guarded(
        call, ref, None, lambda: call.project.update(ref, UpdateOps(checks=[(item, checked)]), expected_hash=want)
    )
    return write_result(res)


def archive_spec(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    want = expected_hash(call)
    res = _guarded(call, ref, None, lambda: call.project.archive(ref, expected_hash=want))
    return write_result(res)
