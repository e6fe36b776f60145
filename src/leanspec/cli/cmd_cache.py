"""``lean-spec cache``: inspect, clear or rebuild the metadata cache (leanspec.cache)."""

from __future__ import annotations

from typing import Any

from ._app import Ctx, Outcome

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "cache",
        parents=[common],
        help="show, clear or rebuild the metadata cache",
        description="The metadata cache (.lean-spec/cache/) lets commands re-read only the spec files that "
        "changed. It is never trusted over the files; deleting it changes nothing but speed. "
        "Actions: status (default), clear, rebuild.",
    )
    p.add_argument("action", nargs="?", default="status", choices=("status", "clear", "rebuild"))
    p.set_defaults(func=cmd_cache)


def cmd_cache(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..store import cache

    store = ctx.project.store
    if a.action == "clear":
        removed = cache.clear(store)
        return Outcome({"ok": True, "removed": removed}, "✓ cache removed" if removed else "ℹ no cache to remove")
    if a.action == "rebuild":
        if not cache.enabled():
            data = {**cache.status(store), "ok": False}
            return Outcome(data, "ℹ the cache is off (LEANSPEC_NO_CACHE is set); nothing rebuilt", 0)
        data = {**cache.rebuild(store), "ok": True}
        return Outcome(data, f"✓ rebuilt: {data['entries']} specs, {data['bytes']:,} bytes ({data['path']})")
    data = cache.status(store)
    lines = [
        f"path:    {data['path']}",
        f"state:   {data['state']}{'' if data['enabled'] else ' (off: LEANSPEC_NO_CACHE is set)'}",
        f"entries: {data['entries']} specs, {data['folders']} folders",
        f"size:    {data['bytes']:,} bytes",
    ]
    return Outcome(data, lines)
