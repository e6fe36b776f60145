"""The JSON API: the route table (``PROJECT_ROUTES``, one handler per route, in
``read_routes``, ``write_routes`` and ``claim_routes``) and ``api_info``.
docs/http-api.md documents it and ``openapi.py`` describes it; a test keeps the three
in step.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..core.errors import LeanSpecError
from ..core.model import PRIORITIES, STATUSES
from .calls import Handler
from .claim_routes import list_claims, next_claim, post_claim, release_claim
from .read_routes import (
    badges,
    board,
    board_cards,
    deps,
    get_file,
    get_spec,
    list_specs,
    search_route,
    spec_deps,
    spec_tokens_route,
    stats,
    validate,
)
from .write_routes import archive_spec, create_spec, patch_spec, put_content, put_file, toggle_check


# ====================================================================== reads
def api_info(app_state: Any) -> dict[str, Any]:
    return {
        "ok": True,
        "version": __version__,
        "readonly": app_state.readonly,
        "auth": bool(app_state.api_key),
        "projects": [s.info() for s in app_state.projects.values()],
        "default_project": app_state.default_id,
        "statuses": list(STATUSES),
        "priorities": list(PRIORITIES),
    }

# (method, path under a project, handler) — the single list the app and the OpenAPI
# test both read.
PROJECT_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/specs", list_specs),
    ("POST", "/specs", create_spec),
    ("GET", "/specs/{ref}", get_spec),
    ("PATCH", "/specs/{ref}", patch_spec),
    ("PUT", "/specs/{ref}/content", put_content),
    ("GET", "/specs/{ref}/files/{file}", get_file),
    ("PUT", "/specs/{ref}/files/{file}", put_file),
    ("POST", "/specs/{ref}/checklist", toggle_check),
    ("POST", "/specs/{ref}/archive", archive_spec),
    ("GET", "/specs/{ref}/deps", spec_deps),
    ("GET", "/specs/{ref}/tokens", spec_tokens_route),
    ("GET", "/board", board),
    ("GET", "/board/cards", board_cards),
    ("GET", "/badges", badges),
    ("GET", "/deps", deps),
    ("GET", "/stats", stats),
    ("GET", "/search", search_route),
    ("GET", "/validate", validate),
    ("GET", "/claims", list_claims),
    ("POST", "/claims", post_claim),
    ("GET", "/claims/next", next_claim),
    ("POST", "/claims/{ref}/release", release_claim),
]


def unknown_project(pid: str, known: list[str]) -> LeanSpecError:
    from ..core.errors import ProjectNotFound

    return ProjectNotFound(f"no served project with id {pid!r}", details={"projects": known})
