"""Layer 0, the core: pure values and text, no disk writes and no front-end libraries.

What belongs here: the error tree (``errors``), the ``Spec`` value and its JSON shape
(``model``), frontmatter parsing and minimal-diff editing (``frontmatter``,
``yamlsubset``), body edits (``body``), folder names and reference resolution
(``refs``), configuration (``config``), templates, list filters and sorting
(``listing``), per-spec facts and timestamps (``facts``, ``clock``).

May import: the standard library, PyYAML, and other ``core`` modules. Nothing above.
"""
