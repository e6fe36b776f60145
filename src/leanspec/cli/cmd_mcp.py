"""``lean-spec mcp``: run the MCP server over stdio (for Claude Code, VS Code, Cursor...).

The ``mcp`` SDK is imported only inside ``cmd_mcp`` (about 0.6 s), so other commands
never pay for it.
"""

from __future__ import annotations

from typing import Any

from ._app import Ctx, Outcome

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "mcp",
        parents=[common],
        help="run the MCP server (stdio)",
        description=(
            "Run the LeanSpec MCP server on stdin/stdout for AI agents. The project is --project, else the "
            "nearest folder with .lean-spec/ or specs/ upward from the working directory. "
            "`lean-spec init --mcp-config all` writes the client configuration files."
        ),
    )
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(ctx: Ctx, args: argparse.Namespace) -> Outcome:
    from pathlib import Path

    from ..core.errors import ProjectNotFound

    root = getattr(args, "project", None)
    if root is not None and not Path(root).is_dir():
        # An explicit but wrong --project is a configuration mistake: fail now, loudly.
        raise ProjectNotFound(f"project folder does not exist: {root}", hint="fix --project in the MCP client config")
    from ..mcp.handshake import serve_relayed

    def run() -> None:
        from ..mcp.server import serve  # the SDK: 0.6-1.5 s, while the relay answers initialize

        serve(root, specs_dir=getattr(args, "specs_dir", None))

    serve_relayed(run)
    return Outcome()
