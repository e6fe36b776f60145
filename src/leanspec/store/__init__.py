"""Layer 2, the store: the only code that reads or writes spec files.

``fsutil`` (the project lock, atomic durable writes), ``specfile`` (reading and
parsing one spec), ``scan`` (which spec folders exist, and the shortcuts that spare a
full walk), ``store`` (``Store``: transactions — lock, re-read, change through
``rules``, validate, write — create, archive, renumber, project files), ``cache``
(the persistent metadata cache behind reads) and ``watch`` (the inotify change
journal of long-lived processes).

May import: ``core`` and ``rules``. Nothing above.
"""
