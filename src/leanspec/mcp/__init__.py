"""The MCP server (``lean-spec mcp``): LeanSpec's tools, resources and prompts over stdio.

Everything here imports the ``mcp`` SDK, so only the ``mcp`` command loads this package;
``build_server`` lives in ``leanspec.mcp.server``. This ``__init__`` stays import-free so
that importing a sibling module never drags the SDK in by accident.
"""
