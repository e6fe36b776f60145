"""Claim commands: claim, release, claims (docs/claims.md)."""

from __future__ import annotations

from typing import Any

from ._app import Ctx, Outcome

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse

REGISTER_ONE = True

REMOTE_HELP = "publish/check claims on this git remote (default: claims.remote in the config; none = this clone only)"


def register(sub: Any, common: argparse.ArgumentParser, only: str | None = None) -> None:
    if only in (None, "claim"):
        p = sub.add_parser(
            "claim",
            parents=[common],
            help="claim a spec (or the next ready one) with a lease",
            description="Claim SPEC, or without SPEC the next ready spec (planned, dependencies complete, "
            "no live lease; highest priority, then lowest number), in one locked transaction: "
            "status in-progress, assignee AGENT, and a lease. Exit 3 (nothing_ready) when nothing is ready.",
        )
        p.add_argument("spec", nargs="?", help="the spec to claim (default: the next ready one)")
        p.add_argument("--as", dest="holder", required=True, metavar="AGENT", help="who claims (lease holder and assignee)")
        p.add_argument("--lease", metavar="DURATION", help="lease length: 30m (default: claims.lease), 1h, 45s, 2h30m")
        p.add_argument("--renew", action="store_true", help="extend your lease on SPEC")
        p.add_argument("-f", "--force", action="store_true", help="take it despite another live lease or open dependencies")
        p.add_argument("--remote", metavar="NAME", help=REMOTE_HELP)
        p.set_defaults(func=cmd_claim)
    if only in (None, "release"):
        p = sub.add_parser("release", parents=[common], help="end your claim on a spec")
        p.add_argument("spec")
        p.add_argument("--as", dest="holder", required=True, metavar="AGENT", help="the lease holder")
        p.add_argument("-s", "--status", choices=("planned", "complete"), help="also set the status (planned clears the assignee)")
        p.add_argument("-f", "--force", action="store_true", help="release another holder's claim; complete despite open items")
        p.add_argument("--remote", metavar="NAME", help=REMOTE_HELP)
        p.set_defaults(func=cmd_release)
    if only in (None, "claims"):
        p = sub.add_parser("claims", parents=[common], help="list live claims (leases)")
        p.add_argument("--all", action="store_true", help="include expired leases")
        p.add_argument("--remote", metavar="NAME", help=REMOTE_HELP)
        p.set_defaults(func=cmd_claims)


def _remote(a: argparse.Namespace) -> str | None:
    r = getattr(a, "remote", None)
    return r


def lease_text(lease: dict[str, Any]) -> str:
    secs = lease["expires_in"]
    if secs <= 0:
        left = "expired"
    elif secs < 120:
        left = f"{secs:.0f}s left"
    elif secs < 7200:
        left = f"{secs / 60:.0f}m left"
    else:
        left = f"{secs / 3600:.1f}h left"
    where = f" via {lease['remote']}" if lease.get("remote") else ""
    return f"{lease['holder']} until {lease['expires_at']} ({left}){where}"


def cmd_claim(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows import claims as claims_api
    res = claims_api.claim(ctx.project, a.spec, holder=a.holder, lease=a.lease, force=a.force, renew=a.renew, remote=_remote(a))
    d = res.to_dict()
    verb = "Renewed" if res.renewed else "Claimed"
    lines = [ctx.c(f"✓ {verb} ", "green") + ctx.c(res.spec.name, "bold") + f"  {lease_text(d['lease'])}"]
    if ctx.quiet:
        lines = [res.spec.name]
    return Outcome(d, lines, 0, [f"warning: {w}" for w in res.warnings])


def cmd_release(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows import claims as claims_api
    res = claims_api.release(ctx.project, a.spec, holder=a.holder, status=a.status, force=a.force, remote=_remote(a))
    extra = f" ({', '.join(res.changed)})" if res.changed else ""
    return Outcome(res.to_dict(), ctx.c("✓ Released ", "green") + ctx.c(res.spec.name, "bold") + extra)


def cmd_claims(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..workflows import claims as claims_api
    leases = claims_api.list_claims(ctx.project, include_expired=a.all, remote=_remote(a))
    now = claims_api.claims_now_of(ctx.project)
    items = [lease.to_dict(now) for lease in leases]
    lines = [f"{d['spec']:<40} {lease_text(d)}" for d in items]
    lines.append(ctx.c(f"{len(items)} claim{'s' if len(items) != 1 else ''}", "gray"))
    return Outcome({"claims": items, "total": len(items)}, lines)
