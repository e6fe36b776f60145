"""Every edit the TUI makes, as the base class of the app (``LeanSpecApp``).

Field edits (move, priority, tags, checklist) are each one ``Project.update`` carrying
the content hash of the version on screen: one locked store transaction. A stale hash
is a conflict: nothing is written, the message says so and the current version is
loaded. The completion guard (open checklist items, incomplete children, skipping
planned) asks before forcing.

Claims (docs/claims.md) are ``workflows.claims.claim`` / ``release``: one critical
section under the claims lock and the project write lock each. A refusal
(``conflict`` naming the holder, ``blocked`` listing the open dependencies,
``nothing_ready``) is shown, never raised.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from textual import work
from textual.app import App

from ..core.errors import Blocked, CompletionBlocked, Conflict, LeanSpecError, NothingReady
from ..core.model import Spec
from ..project import Project, UpdateOps
from .backend import Backend, Snapshot, lease_until, neighbour_status, parse_tags, safe, status_of
from .dialogs import (
    ChecklistScreen,
    ConfirmScreen,
    HolderScreen,
    PickerScreen,
    TagsScreen,
    priority_options,
    release_options,
    status_options,
)


def release_checked(project: Project, name: str, holder: str, status: str | None) -> Any:
    """``release`` forcing past the completion guard, for the holder only: the lease
    is checked first (a forced release would otherwise end anybody's claim)."""
    from ..store.leases import LeaseStore
    from ..workflows.claims import release

    lease = LeaseStore.for_root(project.root).read(name)
    if lease is None or lease.holder != holder:
        who = f"claimed by {lease.holder}" if lease is not None else "not claimed"
        raise Conflict(f"cannot release {name} as {holder}: it is {who} now")
    return release(project, name, holder=holder, status=status, force=True)


def claim_refusal(exc: LeanSpecError) -> tuple[str, str]:
    """(title, message) of a refused claim, in the TUI's words (the core's hints speak
    of CLI options; the TUI never forces a claim)."""
    d = exc.details if isinstance(exc.details, dict) else {}
    if exc.code == "conflict":
        holder, until = d.get("holder"), d.get("expires_at")
        msg = exc.message
        if holder and isinstance(until, str):
            import datetime as dt

            try:
                when = lease_until(dt.datetime.fromisoformat(until.replace("Z", "+00:00")))
            except ValueError:
                when = until
            msg = f"{d.get('spec', '')} is claimed by {holder} until {when}"
        return "Claimed by someone else", msg + "\nPick another spec, or C for the next ready one."
    if exc.code == "blocked":
        return "Not ready", exc.message + "\nC claims the next ready spec."
    blocked, claimed = d.get("blocked") or [], d.get("claimed") or []
    return "Nothing ready", (
        f"No spec is ready to claim ({len(blocked)} blocked, {len(claimed)} claimed)."
        "\nReady: planned, every dependency complete, no live claim."
    )


class EditingApp(App[int]):
    """The edit actions of the app; ``LeanSpecApp`` adds screens, live refresh and the
    status bar."""

    backend: Backend
    main: Any  # the MainScreen (or None before mount)
    _editing: asyncio.Lock  # edits one after the other, each on the spec as it is then
    holder: str  # who claims: asked once per session (default $USER), ``@`` changes it

    @property
    def snapshot(self) -> Snapshot | None:
        return self.backend.snapshot

    async def refresh_now(self, *, force: bool = False) -> None:
        """Load the listing now (``LeanSpecApp``)."""
        raise NotImplementedError

    def update_status(self) -> None:
        """Draw the status bar (``LeanSpecApp``)."""

    def selected(self) -> Spec | None:
        fn = getattr(self.screen, "selected_spec", None)
        return fn() if fn is not None else None

    # =================================================================== edits
    def _need_spec(self) -> Spec | None:
        spec = self.selected()
        if spec is None:
            self.notify("No spec selected", severity="warning", timeout=2)
        return spec

    @work(group="edit")
    async def action_move(self) -> None:
        async with self._editing:
            await self._move()

    async def _move(self) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        st = await self.push_screen_wait(PickerScreen(f"Move {spec.name} to", status_options(), status_of(spec)))
        if st and st != status_of(spec):
            await self.update_spec(spec, UpdateOps(status=st), f"status → {st}")

    @work(group="edit")
    async def action_step(self, step: int) -> None:
        async with self._editing:  # `>` `>` moves twice, the second from where the first left it
            await self._step(step)

    async def _step(self, step: int) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        st = neighbour_status(status_of(spec), step)
        if st is None:
            self.notify("No column that way", timeout=2)
            return
        await self.update_spec(spec, UpdateOps(status=st), f"status → {st}")

    @work(group="edit")
    async def action_priority(self) -> None:
        async with self._editing:
            await self._priority()

    async def _priority(self) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        p = await self.push_screen_wait(
            PickerScreen(f"Priority of {spec.name}", priority_options(), (spec.priority or "").lower())
        )
        if p and p != spec.priority:
            await self.update_spec(spec, UpdateOps(priority=p), f"priority → {p}")

    @work(group="edit")
    async def action_tags(self) -> None:
        async with self._editing:
            await self._tags()

    async def _tags(self) -> None:
        spec = self._need_spec()
        if spec is None:
            return
        text = await self.push_screen_wait(TagsScreen(spec))
        if text is None:
            return
        new = parse_tags(text)
        shown = {safe(t): t for t in spec.tags}  # the dialog showed tags made safe to draw
        add = [t for t in new if t not in shown]
        remove = [orig for s, orig in shown.items() if s not in new]
        if not add and not remove:
            return
        what = " ".join([*("+" + t for t in add), *("-" + t for t in remove)])
        await self.update_spec(spec, UpdateOps(add_tags=add, remove_tags=remove), f"tags {what}")

    def action_checklist(self) -> None:
        spec = self._need_spec()
        if spec is not None:
            self.push_screen(ChecklistScreen(spec))

    async def toggle_check(self, spec: Spec, item: str, checked: bool) -> Spec | None:
        return await self.update_spec(spec, UpdateOps(checks=[(item, checked)]), ("☑ " if checked else "☐ ") + item)

    async def update_spec(self, spec: Spec, ops: UpdateOps, what: str, *, force: bool = False) -> Spec | None:
        """One ``Project.update`` carrying the hash of the version on screen. Returns the
        spec as written, or None (conflict, refusal, error: shown to the user)."""
        backend = self.backend
        try:
            res = await backend.call(
                backend.project.update, spec.name, ops, expected_hash=spec.content_hash, force=force
            )
        except Conflict:
            self.notify(
                f"{spec.name} changed on disk since it was shown; nothing was written. "
                "The current version is shown now: check it and try again.",
                title="Conflict",
                severity="error",
                timeout=8,
                markup=False,
            )
            await self.refresh_now()
            return None
        except CompletionBlocked as exc:
            if force:
                self.notify(exc.message, severity="error", markup=False)
                return None
            label = "complete anyway" if ops.status == "complete" else "move anyway"
            yes = await self.push_screen_wait(ConfirmScreen(f"{spec.name}: {what}?", exc.message, label))
            if yes:
                return await self.update_spec(spec, ops, what, force=True)
            return None
        except LeanSpecError as exc:
            self.notify(exc.message + (f"\n{exc.hint}" if exc.hint else ""), severity="error", markup=False)
            await self.refresh_now()
            return None
        if res.written:
            self.notify(f"{res.spec.name}: {what}", timeout=3, markup=False)
        else:
            self.notify(f"{res.spec.name}: nothing to change", timeout=2, markup=False)
        await self.refresh_now()
        if ops.status:
            self.follow(res.spec.name)
        return res.spec

    # ================================================================== claims
    async def ask_holder(self, *, again: bool = False) -> str | None:
        """The claimant's name: asked the first time (default ``$USER``), then kept."""
        if self.holder and not again:
            return self.holder
        default = self.holder or os.environ.get("USER") or os.environ.get("USERNAME") or ""
        name = await self.push_screen_wait(HolderScreen(default))
        if name is None or not name.strip():
            return None
        self.holder = name.strip()
        return self.holder

    @work(group="edit")
    async def action_claimant(self) -> None:
        async with self._editing:
            if await self.ask_holder(again=True):
                self.notify(f"Claims are made as {self.holder}", timeout=3)
                self.update_status()

    @work(group="edit")
    async def action_claim(self, next_ready: bool = False) -> None:
        async with self._editing:
            await self._claim(next_ready)

    async def _claim(self, next_ready: bool) -> None:
        from ..workflows.claims import claim

        spec = None
        if not next_ready:
            spec = self._need_spec()
            if spec is None:
                return
        holder = await self.ask_holder()
        if holder is None:
            return
        backend = self.backend
        snap = backend.snapshot
        held = snap.leases.get(spec.name) if snap is not None and spec is not None else None
        renew = held is not None and held.holder == holder
        try:
            res = await backend.call(
                claim, backend.project, spec.name if spec is not None else None, holder=holder, renew=renew
            )
        except (Conflict, Blocked, NothingReady) as exc:
            title, msg = claim_refusal(exc)
            self.notify(msg, title=title, severity="warning" if exc.code == "nothing_ready" else "error", timeout=8)
            await self.refresh_now()
            return
        except LeanSpecError as exc:
            self.notify(exc.message + (f"\n{exc.hint}" if exc.hint else ""), severity="error")
            await self.refresh_now()
            return
        verb = "renewed" if res.renewed else "claimed"
        msg = f"{res.spec.name} {verb} by {holder} until {lease_until(res.lease.expires_at)}"
        for w in res.warnings:
            msg += f"\n⚠ {w}"
        self.notify(msg, timeout=5 if not res.warnings else 8, severity="warning" if res.warnings else "information")
        await self.refresh_now()
        self.follow(res.spec.name)

    @work(group="edit")
    async def action_release(self) -> None:
        async with self._editing:
            await self._release()

    async def _release(self) -> None:
        from ..workflows.claims import release

        spec = self._need_spec()
        if spec is None:
            return
        snap = self.snapshot
        lease = snap.leases.get(spec.name) if snap is not None else None
        if lease is None:
            self.notify(f"{spec.name} is not claimed (c claims it)", severity="warning", timeout=3)
            return
        holder = await self.ask_holder()
        if holder is None:
            return
        choice = await self.push_screen_wait(
            PickerScreen(f"Release {spec.name} (claimed by {lease.holder}) and set it", release_options(), "planned")
        )
        if choice is None:
            return
        status = None if choice == "keep" else choice
        backend = self.backend
        try:
            try:
                res = await backend.call(release, backend.project, spec.name, holder=holder, status=status)
            except CompletionBlocked as exc:
                yes = await self.push_screen_wait(
                    ConfirmScreen(f"{spec.name}: release as complete?", exc.message, "complete anyway")
                )
                if not yes:
                    return
                res = await backend.call(release_checked, backend.project, spec.name, holder, status)
        except LeanSpecError as exc:
            self.notify(exc.message + (f"\n{exc.hint}" if exc.hint else ""), severity="error", timeout=8)
            await self.refresh_now()
            return
        after = {None: "still in progress", "planned": "back to planned", "complete": "complete"}[status]
        self.notify(f"{res.spec.name} released by {holder}: {after}", timeout=4)
        await self.refresh_now()
        self.follow(res.spec.name)

    def follow(self, name: str) -> None:
        """The cursor follows a spec that moved to another column."""
        if self.main is not None and self.main.is_current:
            self.main.select(name)
