"""Answer MCP ``initialize`` while the SDK is still importing.

Importing the ``mcp`` SDK takes 0.6-1.5 s (pydantic models for every protocol
revision), and a client waits for the ``initialize`` answer before anything else.
That answer does not depend on the SDK: it is the server's name, version,
instructions, capabilities and the negotiated protocol revision. So ``lean-spec mcp``
puts a relay between the wire and the SDK:

* fd 0 and fd 1 become pipes; the SDK serves them exactly as it would serve the
  terminal (it claims, diverts and restores them as usual);
* a reader thread copies the client's lines to the SDK; when the first line is an
  ``initialize`` request for a revision listed in ``EARLY_VERSIONS``, it answers it
  at once (``initialize_result``) and still hands the request to the SDK, whose
  session state then advances exactly as without the relay;
* a writer thread copies the SDK's lines to the wire, dropping the SDK's own answer
  to that one request (after checking it equals the early one: a difference is
  reported on stderr, and tests/test_mcp_handshake.py compares them for every
  revision);
* everything else (other revisions, a first line that is not ``initialize``, batches,
  malformed JSON) goes to the SDK untouched, which answers as it always did.

Requests the client sends after the early answer queue in the pipe until the SDK is
ready, in order. ``LEANSPEC_MCP_EARLY_INIT=0`` turns the relay off.
"""

from __future__ import annotations

import json
import os
import sys
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

INSTRUCTIONS = """\
LeanSpec: spec-driven development. Specs are markdown folders (specs/NNN-name/README.md) \
with YAML frontmatter (status planned|in-progress|complete|archived, priority, tags, \
depends_on, parent). Find specs with `list` or `search` (`fields` picks the keys), read one \
with `view`, change it with `update` (pass the content_hash you read as expected_hash to \
refuse stale edits). Every write is atomic and returns the new content_hash (12 hex). \
Errors carry a stable `code`, a `hint` and `details` (open items, candidates, valid names)."""

SERVER_NAME = "lean-spec"
SERVER_TITLE = "LeanSpec"

# Handshake revisions the SDK (mcp 2.3) echoes back unchanged, with the result below.
# A revision not listed here is left to the SDK.
EARLY_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")

# What build_server() registers: tools, resources and prompts, no list-changed events.
CAPABILITIES: dict[str, Any] = {
    "prompts": {"listChanged": False},
    "resources": {"listChanged": False, "subscribe": False},
    "tools": {"listChanged": False},
}


def initialize_result(protocol_version: str) -> dict[str, Any]:
    from .. import __version__

    return {
        "capabilities": CAPABILITIES,
        "instructions": INSTRUCTIONS,
        "protocolVersion": protocol_version,
        "serverInfo": {"name": SERVER_NAME, "title": SERVER_TITLE, "version": __version__},
    }


def early_answer(line: bytes) -> tuple[Any, dict[str, Any]] | None:
    """(request id, result) when ``line`` is an ``initialize`` request this module
    answers; else None (the SDK answers)."""
    try:
        msg = json.loads(line)
    except ValueError:
        return None
    if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0" or msg.get("method") != "initialize":
        return None
    rid = msg.get("id")
    params = msg.get("params")
    if type(rid) not in (int, str) or not isinstance(params, dict):
        return None
    version = params.get("protocolVersion")
    info = params.get("clientInfo")
    if (
        version not in EARLY_VERSIONS
        or not isinstance(params.get("capabilities"), dict)
        or not isinstance(info, dict)
        or not isinstance(info.get("name"), str)
        or not isinstance(info.get("version"), str)
    ):
        return None  # the SDK validates and words the error
    return rid, initialize_result(version)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Relay:
    def __init__(self) -> None:
        self.wire_in = os.dup(0)
        self.wire_out = os.dup(1)
        in_r, self.sdk_in = os.pipe()
        self.sdk_out, out_w = os.pipe()
        os.dup2(in_r, 0)
        os.dup2(out_w, 1)
        os.close(in_r)
        self.stop_w = out_w  # kept to post the end marker after the SDK stopped
        self.lock = threading.Lock()
        self.pending: tuple[Any, dict[str, Any]] | None = None  # (id, early result)
        self.decided = threading.Event()  # the first line was looked at

    def reader(self) -> None:
        src = os.fdopen(self.wire_in, "rb", closefd=False)
        first = True
        try:
            for line in src:
                if first:
                    first = False
                    ans = early_answer(line)
                    if ans is not None:
                        self.pending = ans
                        reply = {"jsonrpc": "2.0", "id": ans[0], "result": ans[1]}
                        with self.lock:
                            _write_all(self.wire_out, json.dumps(reply, separators=(",", ":")).encode() + b"\n")
                    self.decided.set()
                _write_all(self.sdk_in, line)
        except OSError:
            pass
        finally:
            self.decided.set()
            os.close(self.sdk_in)  # the SDK reads end-of-file and stops

    def writer(self) -> None:
        src = os.fdopen(self.sdk_out, "rb", closefd=False)
        try:
            for line in src:
                if line == b"\n":  # end marker: the SDK writes JSON lines, never an empty one
                    break
                if self.pending is not None and self._is_sdk_answer(line):
                    continue
                with self.lock:
                    _write_all(self.wire_out, line)
        except OSError:
            pass

    def _is_sdk_answer(self, line: bytes) -> bool:
        """Drop the SDK's answer to the request answered early (once)."""
        self.decided.wait()
        pending = self.pending
        if pending is None:
            return False
        try:
            msg = json.loads(line)
        except ValueError:
            return False
        if not isinstance(msg, dict) or msg.get("id") != pending[0] or "method" in msg:
            return False
        self.pending = None
        if msg.get("result") != pending[1]:
            print(
                "lean-spec mcp: the early initialize answer differed from the SDK's: "
                f"{json.dumps(pending[1])[:300]} vs {line[:300]!r}; set LEANSPEC_MCP_EARLY_INIT=0 and report this",
                file=sys.stderr,
            )
        return True


def serve_relayed(serve: Callable[[], None]) -> None:
    """Run ``serve`` (an MCP server on fds 0 and 1) behind the relay."""
    if os.environ.get("LEANSPEC_MCP_EARLY_INIT") == "0" or os.name != "posix":
        serve()
        return
    relay = Relay()
    threading.Thread(target=relay.reader, name="mcp-wire-in", daemon=True).start()
    out = threading.Thread(target=relay.writer, name="mcp-wire-out", daemon=True)
    out.start()
    try:
        serve()
    finally:
        try:
            _write_all(relay.stop_w, b"\n")  # after everything the SDK wrote
        except OSError:
            pass
        out.join(10)
        os.dup2(relay.wire_in, 0)
        os.dup2(relay.wire_out, 1)
