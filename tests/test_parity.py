"""One JSON shape per spec: the CLI's `view --json`, the HTTP API and the MCP `view`
tool return the same object (Spec.to_dict) for the same spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import cli_inprocess

pytest.importorskip("mcp")
pytest.importorskip("starlette")

from starlette.testclient import TestClient

from leanspec.web.app import create_app
from test_mcp_server import Session, server_params


@pytest.mark.parametrize("ref", ["045", "150-tag-management", "archived/012-sub-spec-files"])
def test_cli_http_and_mcp_agree(fixture_project: Path, tmp_path: Path, ref: str) -> None:
    cli = cli_inprocess(fixture_project, "view", ref, "--json")
    assert cli.code == 0, cli.err
    from_cli = cli.json

    http = TestClient(create_app([fixture_project]), base_url="http://127.0.0.1:3000")
    r = http.get(f"/api/specs/{from_cli['name']}")
    assert r.status_code == 200, r.text
    from_http = r.json()["spec"]
    assert r.headers["etag"].strip('"') == from_cli["content_hash"]

    srv = Session(server_params(fixture_project, tmp_path / "home"))
    try:
        from_mcp = srv.ok("view", {"spec": from_cli["name"]})["spec"]
    finally:
        srv.close()

    # The HTTP API adds rendering extras (html, files, relationships) around the same object.
    shared = {k: v for k, v in from_http.items() if k in from_cli}
    assert set(from_cli) <= set(from_http)
    assert shared == from_cli
    # MCP sends the same object leaner: no empty values, the 12-hex short hash.
    lean = {k: v for k, v in from_cli.items() if v is not None}
    lean["content_hash"] = from_cli["content_hash"][:12]
    assert from_mcp == lean
