"""Layer 1, the domain rules: what create and update do to a spec's ``Document``.

``update`` applies an ``UpdateOps`` (status checks and transitions, the completion
guard, tags, dependencies and parent with cycle checks, fields, body edits, the status
header line); ``create`` builds a new spec from a template or content. Pure: the
project is reached through a small ``World`` protocol that the store implements, so
the rules are testable without a disk.

May import: ``core``. Nothing above (never the store).
"""
