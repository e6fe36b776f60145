"""docs/mcp.md documents every MCP tool (with every argument and an example call that
really works), every resource, prompt and error code. A new tool without docs fails."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")
import jsonschema
from mcp import Client

from leanspec.mcp.errors import DEFAULT_HINTS
from leanspec.mcp.prompts import PROMPT_NAMES
from leanspec.mcp.resources import RESOURCE_URIS
from leanspec.mcp.server import build_server

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "mcp.md"
FIXTURE = (REPO.parent / "shared" / "fixtures" / "leanspec-dec2025").resolve()


def tool_sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    tools_part = text.split("\n## Tools\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^### (\S+)\s*$", tools_part, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def example_call(section: str) -> dict[str, Any] | None:
    for block in re.findall(r"```json\n(.*?)```", section, flags=re.S):
        try:
            data = json.loads(block)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "tool" in data:
            return data
    return None


def registered_tools(root: Path) -> list[Any]:
    server = build_server(root)
    return asyncio.run(server.list_tools())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if not FIXTURE.is_dir():
        pytest.skip(f"fixture not found at {FIXTURE}")
    dest = tmp_path / "fx"
    shutil.copytree(FIXTURE, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Doc", "GIT_AUTHOR_EMAIL": "doc@example.com",
           "GIT_COMMITTER_NAME": "Doc", "GIT_COMMITTER_EMAIL": "doc@example.com",
           "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "fixture"]):
        subprocess.run(["git", *cmd], cwd=dest, env=env, check=True, capture_output=True, timeout=60)
    return dest


def test_every_tool_has_a_section_with_its_arguments_and_an_example(project: Path) -> None:
    sections = tool_sections()
    tools = registered_tools(project)
    assert len(tools) >= 18
    for tool in tools:
        assert tool.name in sections, f"docs/mcp.md has no `### {tool.name}` section"
        section = sections[tool.name]
        call = example_call(section)
        assert call is not None, f"`### {tool.name}` has no example call"
        assert call["tool"] == tool.name
        jsonschema.validate(call.get("arguments", {}), tool.input_schema)
        missing = [p for p in tool.input_schema.get("properties", {}) if f"`{p}`" not in section]
        assert not missing, f"`### {tool.name}` does not document {missing}"
    extra = set(sections) - {t.name for t in tools}
    assert not extra, f"docs/mcp.md documents tools that do not exist: {extra}"


def test_documented_examples_run(project: Path) -> None:
    """Every example call, in the order of the document, succeeds on the fixture project."""
    calls = [example_call(s) for s in tool_sections().values()]
    server = build_server(project)

    async def run() -> list[tuple[str, bool, str]]:
        out = []
        async with Client(server) as c:
            for call in calls:
                assert call is not None
                res = await c.call_tool(call["tool"], call.get("arguments", {}))
                out.append((call["tool"], bool(res.is_error), res.content[0].text[:300]))
        return out

    failures = [r for r in asyncio.run(run()) if r[1]]
    assert not failures, failures


def test_resources_prompts_and_error_codes_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for uri in RESOURCE_URIS:
        assert f"`{uri}`" in text, uri
    for name in PROMPT_NAMES:
        assert f"`{name}`" in text, name
    for code in [*DEFAULT_HINTS, "unknown_tool", "internal", "invalid_input"]:
        assert f"| `{code}` |" in text, f"error code {code} is not in the table"
