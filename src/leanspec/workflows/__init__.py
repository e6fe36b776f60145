"""Layer 5, workflows: project-level jobs that combine the layers below with the
world outside the specs folder — git history (``gitutil``, ``backfill``), the git
merge driver (``merge``), migration from other tools (``migrate``), ``init``
(``scaffold``, ``examples``) and MCP client configuration files (``mcpconfig``).

May import: everything below (``core`` … ``insight``). Never a front end.
"""
