"""Layer 4, insight: read-only views computed over the specs a ``Project`` lists.

Search (``query`` parses, ``textmatch`` matches, ``search`` ranks, ``searchindex`` is
its persistent index), ``board``, ``stats``, ``timeline``, ``graph`` (dependencies),
``validate`` (and its cache), ``analysis`` (complexity, split/compact advice) and
``tokens``. They never write spec files (their own caches go through the store's
``fsutil.write_cache_file``).

May import: ``core``, ``rules``, ``store``, ``project``. Nothing above.
"""
