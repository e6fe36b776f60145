"""The OpenAPI 3.1 description served at ``/api/openapi.json``. Written by hand (no
framework generates it); tests/test_web_api.py checks that every route the app serves
is described here, and that nothing described here is missing from the app."""

from __future__ import annotations

from typing import Any

from .. import __version__

_REF = {
    "name": "ref",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "spec name, number, slug or title (never a path)",
}
_FILE = {
    "name": "file",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "a sub-spec file name such as DESIGN.md",
}
_PID = {
    "name": "pid",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "project id from GET /api/projects",
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "the content hash you edited (the ETag). Required unless the body has expected_hash. `*` overwrites any version.",
}


def _q(name: str, desc: str, type_: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": type_}, "description": desc}


def _ok(desc: str, schema: str = "Ok") -> dict[str, Any]:
    return {
        "description": desc,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _err(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_WRITE_ERRORS = {
    "400": _err("invalid input (code invalid_input, invalid_relationship, ...)"),
    "403": _err("foreign Origin/Host (forbidden_origin, forbidden_host) or read-only server (readonly)"),
    "404": _err("spec_not_found / file_not_found"),
    "409": _err("conflict: the spec changed since you read it; the body has `current` (the current version)"),
    "428": _err("precondition_required: no If-Match and no expected_hash"),
}


def _project_paths() -> dict[str, dict[str, Any]]:
    return {
        "/specs": {
            "get": {
                "summary": "List specs",
                "parameters": [
                    _q("status", "comma list or repeated: draft, planned, in-progress, complete, archived"),
                    _q("tag", "spec has every tag (comma list or repeated)"),
                    _q("priority", "any of (comma list)"),
                    _q("assignee", "assigned to"),
                    _q("archived", "include archived specs (true/false)", "boolean"),
                    _q("sort", "id, created, updated, name, title, status, priority"),
                    _q("order", "asc or desc"),
                    _q("q", "search query (same syntax as GET /search)"),
                    _q("limit", "at most this many specs", "integer"),
                    _q("ready", "only ready specs, in claim order (each with dependencies)", "boolean"),
                    _q("blocked", "only specs with open dependencies (each with dependencies)", "boolean"),
                ],
                "responses": {
                    "200": _ok("`{ok, total, specs[Spec], problems[], leases{name: Lease}}`", "SpecList"),
                    "400": _err("invalid filter"),
                },
            },
            "post": {
                "summary": "Create a spec (a number is allocated under the project lock)",
                "requestBody": _body("CreateSpec"),
                "responses": {"201": _ok("created; ETag = content hash", "WriteResult"), **_WRITE_ERRORS},
            },
        },
        "/specs/{ref}": {
            "get": {
                "summary": "One spec with its content, rendered HTML, files and relationships",
                "parameters": [_REF],
                "responses": {
                    "200": _ok("`{ok, spec}`; ETag = content hash", "SpecDetail"),
                    "304": {"description": "If-None-Match matched"},
                    "404": _err("spec_not_found"),
                },
            },
            "patch": {
                "summary": "Change metadata: status, priority, tags, assignee, depends_on, parent",
                "parameters": [_REF, _IF_MATCH],
                "requestBody": _body("PatchSpec"),
                "responses": {"200": _ok("updated", "WriteResult"), **_WRITE_ERRORS},
            },
        },
        "/specs/{ref}/content": {
            "put": {
                "summary": "Replace the README body (or the whole file when content starts with ---)",
                "parameters": [_REF, _IF_MATCH],
                "requestBody": _body("Content"),
                "responses": {"200": _ok("written", "WriteResult"), **_WRITE_ERRORS},
            }
        },
        "/specs/{ref}/files/{file}": {
            "get": {
                "summary": "A sub-spec file (DESIGN.md, ...)",
                "parameters": [_REF, _FILE],
                "responses": {
                    "200": _ok("`{ok, spec, file, path, content, content_hash, html}`"),
                    "400": _err("invalid file name"),
                    "404": _err("file_not_found"),
                },
            },
            "put": {
                "summary": "Write a sub-spec file",
                "parameters": [_REF, _FILE, _IF_MATCH],
                "requestBody": _body("Content"),
                "responses": {"200": _ok("written"), **_WRITE_ERRORS},
            },
        },
        "/specs/{ref}/checklist": {
            "post": {
                "summary": "Check or uncheck one task-list item (by body line or by item text)",
                "parameters": [_REF, _IF_MATCH],
                "requestBody": _body("Checklist"),
                "responses": {"200": _ok("toggled", "WriteResult"), "422": _err("no_match"), **_WRITE_ERRORS},
            }
        },
        "/specs/{ref}/archive": {
            "post": {
                "summary": "Archive a spec (status archived; moved to specs/archived/ unless archive.mode is status)",
                "parameters": [_REF, _IF_MATCH],
                "responses": {"200": _ok("archived", "WriteResult"), **_WRITE_ERRORS},
            }
        },
        "/specs/{ref}/deps": {
            "get": {
                "summary": "Dependencies of one spec",
                "parameters": [
                    _REF,
                    _q("mode", "complete, upstream, downstream, impact"),
                    _q("depth", "1-200 (default 3)", "integer"),
                ],
                "responses": {
                    "200": _ok("`{ok, spec, depends_on, required_by, chain, tree, impact, parent, children, cycles}`"),
                    "404": _err("spec_not_found"),
                },
            }
        },
        "/specs/{ref}/tokens": {
            "get": {
                "summary": "Token count of one spec (README and sub-spec markdown files)",
                "parameters": [_REF],
                "responses": {
                    "200": _ok("`{ok, spec, title, total, lines, files[{name, tokens, lines}]}`"),
                    "404": _err("spec_not_found"),
                },
            }
        },
        "/board": {
            "get": {
                "summary": "Kanban board",
                "parameters": [
                    _q("group_by", "status (default), priority, assignee, tag, parent"),
                    _q("archived", "show the archived column", "boolean"),
                    _q("tag", "filter"),
                    _q("priority", "filter"),
                    _q("assignee", "filter"),
                    _q("q", "search filter"),
                    _q(
                        "compact",
                        "small cards: name, number, title, status, priority, tags, assignee, parent, archived, content_hash, checklist, depends_on",
                        "boolean",
                    ),
                ],
                "responses": {
                    "200": _ok(
                        "`{ok, group_by, groups[{name, count, specs}], summary, compact, problems[{path, code, reason}]}`"
                    )
                },
            }
        },
        "/deps": {
            "get": {
                "summary": "Dependency graph (whole project, or around one spec)",
                "parameters": [
                    _q("spec", "focus on this spec"),
                    _q("depth", "focus depth (default 10)", "integer"),
                    _q("archived", "include archived specs", "boolean"),
                ],
                "responses": {"200": _ok("`{ok, focus, nodes, edges, cycles, layers, critical_path, unresolved}`")},
            }
        },
        "/stats": {
            "get": {
                "summary": "Project statistics, created-vs-completed timeline and cycle times",
                "parameters": [
                    _q("days", "timeline window in days", "integer"),
                    _q("months", "timeline window in months", "integer"),
                ],
                "responses": {
                    "200": _ok(
                        "`{ok, overview, by_status, by_priority, by_tag, velocity, insights, timeline, cycle_times, other_values{status, priority}, problems[]}`"
                    )
                },
            }
        },
        "/search": {
            "get": {
                "summary": "Search (LeanSpec query syntax: AND/OR/NOT, phrases, fuzzy~, field:value)",
                "parameters": [
                    _q("q", "the query (required)"),
                    _q("limit", "default 50", "integer"),
                    _q("archived", "include archived", "boolean"),
                ],
                "responses": {
                    "200": _ok("`{ok, query, total, results[{spec, score, matches}]}`"),
                    "400": _err("search_syntax / invalid_input"),
                },
            }
        },
        "/validate": {
            "get": {
                "summary": "Validate the project",
                "parameters": [
                    _q("spec", "only these specs (repeatable)"),
                    _q("check_deps", "also check body references", "boolean"),
                    _q("strict", "warnings fail", "boolean"),
                ],
                "responses": {"200": _ok("`{ok, valid, ...report}`")},
            }
        },
        "/board/cards": {
            "get": {
                "summary": "Compact cards of some specs (a live change's paths), with their dependents",
                "parameters": [
                    _q("path", "a changed file path relative to the project root (repeatable)"),
                    _q("spec", "a spec name (repeatable)"),
                ],
                "responses": {
                    "200": _ok("`{ok, cards[compact card + blocked, open_dependencies, lease], removed[name], leases{name: Lease}}`"),
                    "400": _err("invalid_input (more than 200 paths and specs)"),
                },
            }
        },
        "/badges": {
            "get": {
                "summary": "Token count and validation summary per spec (board cards, list rows)",
                "parameters": [_q("spec", "only these specs (repeatable)")],
                "responses": {"200": _ok("`{ok, specs{name: {tokens, errors, warnings, issues[≤3]}}}`")},
            }
        },
        "/claims": {
            "get": {
                "summary": "Live claims (leases)",
                "parameters": [
                    _q("all", "include expired leases", "boolean"),
                    _q("remote", "read the claims of this git remote"),
                ],
                "responses": {"200": _ok("`{ok, claims[Lease], total}`")},
            },
            "post": {
                "summary": "Claim a spec (or the next ready one): in-progress, assignee, lease; one transaction",
                "requestBody": _body("Claim"),
                "responses": {
                    "200": _ok("`{ok, spec, lease, renewed, changed, warnings}`"),
                    "404": _err("nothing_ready / spec_not_found"),
                    "409": _err("conflict (claimed by another: details.holder, details.expires_at) or blocked"),
                    "400": _err("invalid_input"),
                    "403": _err("read-only server"),
                },
            },
        },
        "/claims/next": {
            "get": {
                "summary": "The spec a claim would take now (no claim)",
                "parameters": [_q("remote", "check this git remote's claims"), _q("limit", "ready names to list", "integer")],
                "responses": {"200": _ok("`{ok, spec|null, ready_total, ready[]}`")},
            }
        },
        "/claims/{ref}/release": {
            "post": {
                "summary": "End a claim; optionally set status planned or complete",
                "parameters": [_REF],
                "requestBody": _body("Release"),
                "responses": {
                    "200": _ok("`{ok, spec, released, changed}`"),
                    "409": _err("conflict: not the holder / completion_blocked"),
                    "404": _err("spec_not_found"),
                    "403": _err("read-only server"),
                },
            }
        },
        "/events": {
            "get": {
                "summary": "Server-sent events: `data: {type: hello|changed, paths, project, seq}`",
                "parameters": [_q("access_token", "the API key, for EventSource (which cannot send headers)")],
                "responses": {
                    "200": {
                        "description": "text/event-stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }


def _schemas() -> dict[str, Any]:
    str_list = {"type": "array", "items": {"type": "string"}}
    return {
        "Ok": {"type": "object", "properties": {"ok": {"const": True}}, "required": ["ok"]},
        "Error": {
            "type": "object",
            "required": ["ok", "error"],
            "properties": {
                "ok": {"const": False},
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {
                            "type": "string",
                            "description": "stable code, e.g. spec_not_found, conflict, forbidden_origin",
                        },
                        "message": {"type": "string"},
                        "hint": {"type": "string"},
                        "details": {"type": "object"},
                    },
                },
                "current": {"description": "with 409 conflict: the current version"},
            },
        },
        "Spec": {
            "type": "object",
            "description": "Spec.to_dict(): the one JSON shape of a spec (CLI --json, MCP, HTTP)",
            "properties": {
                "name": {"type": "string"},
                "number": {"type": ["integer", "null"]},
                "title": {"type": "string"},
                "status": {"type": "string"},
                "priority": {"type": ["string", "null"]},
                "tags": str_list,
                "assignee": {"type": ["string", "null"]},
                "created": {"type": ["string", "null"]},
                "depends_on": str_list,
                "parent": {"type": ["string", "null"]},
                "archived": {"type": "boolean"},
                "path": {"type": "string"},
                "sub_specs": str_list,
                "checklist": {"type": "object"},
                "fields": {"type": "object"},
                "content_hash": {"type": "string"},
            },
        },
        "SpecList": {
            "type": "object",
            "properties": {
                "ok": {"const": True},
                "total": {"type": "integer"},
                "specs": {"type": "array", "items": {"$ref": "#/components/schemas/Spec"}},
                "problems": {"type": "array"},
            },
        },
        "SpecDetail": {
            "type": "object",
            "properties": {
                "ok": {"const": True},
                "spec": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Spec"},
                        {
                            "type": "object",
                            "properties": {
                                "content": {"type": "string"},
                                "frontmatter": {"type": "object"},
                                "html": {"type": "string"},
                                "files": {"type": "array"},
                                "relationships": {"type": "object"},
                            },
                        },
                    ]
                },
            },
        },
        "WriteResult": {
            "type": "object",
            "properties": {
                "ok": {"const": True},
                "changed": str_list,
                "written": {"type": "boolean"},
                "message": {"type": "string"},
                "content_hash": {"type": "string"},
                "spec": {"$ref": "#/components/schemas/Spec"},
            },
        },
        "CreateSpec": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "tags": str_list,
                "priority": {"enum": ["low", "medium", "high", "critical"]},
                "status": {"enum": ["draft", "planned", "in-progress", "complete"]},
                "assignee": {"type": "string"},
                "template": {"type": "string"},
                "depends_on": str_list,
                "parent": {"type": "string"},
                "content": {"type": "string"},
                "fields": {"type": "object"},
            },
        },
        "PatchSpec": {
            "type": "object",
            "properties": {
                "status": {"type": "string"},
                "priority": {"type": "string"},
                "tags": {**str_list, "description": "replace all tags"},
                "add_tags": str_list,
                "remove_tags": str_list,
                "assignee": {"type": ["string", "null"], "description": "empty or null clears"},
                "depends_on": {**str_list, "description": "replace all dependencies"},
                "add_depends": str_list,
                "remove_depends": str_list,
                "parent": {"type": ["string", "null"], "description": "empty or null clears"},
                "title": {"type": "string"},
                "fields": {"type": "object", "description": "custom frontmatter fields; null deletes"},
                "force": {"type": "boolean", "description": "skip the completion guard"},
                "expected_hash": {"type": "string"},
                "if_status": {
                    "type": "string",
                    "description": "compare-and-set: write only if the current status is this (else 409 conflict); "
                    "with if_status or if_assignee, If-Match is optional",
                },
                "if_assignee": {
                    "type": "string",
                    "description": "compare-and-set: write only if the current assignee is this ('none': unassigned)",
                },
            },
        },
        "Claim": {
            "type": "object",
            "required": ["holder"],
            "properties": {
                "holder": {"type": "string", "description": "who claims (lease holder and assignee)"},
                "spec": {"type": "string", "description": "the spec to claim (default: the next ready one)"},
                "lease": {"type": ["string", "number"], "description": "30m (default), 1h, 45s, or seconds"},
                "renew": {"type": "boolean", "description": "extend your lease on `spec`"},
                "force": {"type": "boolean", "description": "despite another live lease or open dependencies"},
                "remote": {"type": "string", "description": "git remote for claims (default: claims.remote)"},
            },
        },
        "Release": {
            "type": "object",
            "required": ["holder"],
            "properties": {
                "holder": {"type": "string"},
                "status": {"type": "string", "enum": ["planned", "complete"]},
                "force": {"type": "boolean"},
                "remote": {"type": "string"},
            },
        },
        "Content": {
            "type": "object",
            "required": ["content"],
            "properties": {"content": {"type": "string"}, "expected_hash": {"type": "string"}},
        },
        "Checklist": {
            "type": "object",
            "required": ["checked"],
            "properties": {
                "line": {"type": "integer", "description": "0-based line in the body (data-line in the rendered HTML)"},
                "item": {"type": "string"},
                "checked": {"type": "boolean"},
                "expected_hash": {"type": "string"},
            },
        },
    }


def spec() -> dict[str, Any]:
    project = _project_paths()
    paths: dict[str, Any] = {
        "/api/health": {
            "get": {
                "summary": "Liveness (no API key needed)",
                "security": [],
                "responses": {"200": _ok("`{ok, version}`")},
            }
        },
        "/api/info": {
            "get": {
                "summary": "Server facts: version, readonly, projects, statuses, priorities",
                "responses": {"200": _ok("info")},
            }
        },
        "/api/projects": {
            "get": {
                "summary": "Served projects",
                "responses": {"200": _ok("`{ok, default, projects[{id, name, root, specs_dir}]}`")},
            }
        },
        "/api/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
        },
    }
    for path, ops in project.items():
        paths["/api" + path] = ops
        scoped = {}
        for method, op in ops.items():
            scoped[method] = {
                **op,
                "parameters": [_PID, *op.get("parameters", [])],
                "summary": op["summary"] + " (project-scoped)",
            }
        paths["/api/projects/{pid}" + path] = scoped
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LeanSpec (Python) HTTP API",
            "version": __version__,
            "description": "JSON API behind `lean-spec ui`. Every write goes through the same store as the CLI "
            "(project lock, atomic durable write) and needs the version it edits (If-Match). See docs/http-api.md.",
        },
        "servers": [{"url": "http://127.0.0.1:3000"}],
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "only when LEANSPEC_API_KEY is set"}
            },
        },
        "security": [{}, {"bearer": []}],
        "paths": paths,
    }
