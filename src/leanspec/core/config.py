"""Project configuration: ``.lean-spec/config.json`` (TS and 0.3.0 shapes) or
``.lean-spec/config.yaml`` (the Rust core's snake_case shape), merged over defaults.

Precedence (lowest first): 1. defaults, 2. the project's config file,
3. ``LEANSPEC_*`` environment variables, 4. command-line flags (passed as overrides).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError
from .values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

CONFIG_DIR = ".lean-spec"

#: (name, default, help) — the documented configuration table (docs/configuration.md).
FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("specsDir", "specs", "Folder that holds the spec folders, relative to the project root."),
    ("template", "spec-template.md", "Default template file in .lean-spec/templates/."),
    ("templates", {"default": "spec-template.md"}, "Named templates: name -> file or folder."),
    ("structure.sequenceDigits", 3, "Zero padding of new spec numbers."),
    ("structure.defaultFile", "README.md", "Main file of a spec folder."),
    ("structure.prefix", "", "Literal prefix before the number of new spec folders."),
    ("draftStatus.enabled", False, "Allow the 'draft' status on new specs (0.3.0)."),
    ("archive.mode", "move", "'move' archived specs into specs/archived/, or 'status' only."),
    ("validation.maxLines", 400, "Line count above which validate warns."),
    ("validation.warnLines", 300, "Line count above which validate reports info."),
    ("validation.maxTokens", 5000, "Token count above which validate errors."),
    ("validation.warnTokens", 3500, "Token count above which validate warns."),
    ("validation.enforceCompletionChecklist", True, "Refuse 'complete' with open checklist items."),
    ("validation.requiredSections", [], "Sections every spec should have."),
    (
        "validation.openItemsOnComplete",
        "warning",
        "How validate reports open checklist items on complete (and archived-complete) specs: error, warning or off.",
    ),
    ("lockTimeout", 10.0, "Seconds a writer waits for the project lock (env LEANSPEC_LOCK_TIMEOUT)."),
    (
        "statusHeader.insert",
        False,
        "Add a `> **Status**: …` header line to specs that have none when metadata changes "
        "(the line is always kept in sync where it exists; LeanSpec 2026 specs have none).",
    ),
    ("claims.remote", None, "Git remote on which claims are published (docs/claims.md); unset: this clone only."),
    ("claims.lease", "30m", "Default lease length of a claim (30m, 1h, 45s, ...)."),
)

_YAML_KEYS: dict[str, str] = {
    "specs_dir": "specsDir",
    "default_template": "template",
    "max_lines": "validation.maxLines",
    "max_tokens": "validation.maxTokens",
    "warn_tokens": "validation.warnTokens",
    "enforce_completion_checklist": "validation.enforceCompletionChecklist",
    "required_sections": "validation.requiredSections",
    "open_items_on_complete": "validation.openItemsOnComplete",
}


class Config(Value):
    """The project configuration (immutable).

    A plain class, not a frozen @dataclass: building that costs ~1-2 ms at import, on
    every run. Same keyword init, defaults, repr, equality and hash; assigning a field
    raises AttributeError (as FrozenInstanceError, its subclass, did)."""

    _FIELDS = (
        "specs_dir",
        "template",
        "templates",
        "sequence_digits",
        "default_file",
        "prefix",
        "draft_enabled",
        "archive_mode",
        "max_lines",
        "warn_lines",
        "max_tokens",
        "warn_tokens",
        "enforce_checklist",
        "required_sections",
        "lock_timeout",
        "status_header_insert",
        "source",
        "raw",
    )
    __match_args__ = _FIELDS

    specs_dir: str
    template: str
    templates: dict[str, str]
    sequence_digits: int
    default_file: str
    prefix: str
    draft_enabled: bool
    archive_mode: str
    max_lines: int
    warn_lines: int
    max_tokens: int
    warn_tokens: int
    enforce_checklist: bool
    required_sections: tuple[str, ...]
    lock_timeout: float
    status_header_insert: bool
    source: str | None  # the file it came from
    raw: dict[str, Any]

    def __init__(
        self,
        specs_dir: str = "specs",
        template: str = "spec-template.md",
        templates: dict[str, str] | None = None,
        sequence_digits: int = 3,
        default_file: str = "README.md",
        prefix: str = "",
        draft_enabled: bool = False,
        archive_mode: str = "move",
        max_lines: int = 400,
        warn_lines: int = 300,
        max_tokens: int = 5000,
        warn_tokens: int = 3500,
        enforce_checklist: bool = True,
        required_sections: tuple[str, ...] = (),
        lock_timeout: float = 10.0,
        status_header_insert: bool = False,
        source: str | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        if templates is None:
            templates = {"default": "spec-template.md"}
        if raw is None:
            raw = {}
        values = (
            specs_dir,
            template,
            templates,
            sequence_digits,
            default_file,
            prefix,
            draft_enabled,
            archive_mode,
            max_lines,
            warn_lines,
            max_tokens,
            warn_tokens,
            enforce_checklist,
            required_sections,
            lock_timeout,
            status_header_insert,
            source,
            raw,
        )
        for name, value in zip(self._FIELDS, values, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:  # type: ignore[override]  # frozen: hashable, as the frozen dataclass
        return hash(self._values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "specsDir": self.specs_dir,
            "template": self.template,
            "templates": dict(self.templates),
            "structure": {
                "sequenceDigits": self.sequence_digits,
                "defaultFile": self.default_file,
                "prefix": self.prefix,
            },
            "draftStatus": {"enabled": self.draft_enabled},
            "archive": {"mode": self.archive_mode},
            "validation": {
                "maxLines": self.max_lines,
                "warnLines": self.warn_lines,
                "maxTokens": self.max_tokens,
                "warnTokens": self.warn_tokens,
                "enforceCompletionChecklist": self.enforce_checklist,
                "requiredSections": list(self.required_sections),
            },
            "lockTimeout": self.lock_timeout,
            "statusHeader": {"insert": self.status_header_insert},
            "source": self.source,
        }


def _get(d: dict[str, Any], dotted: str) -> Any:
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def raw_setting(config: Config, dotted: str, default: Any) -> Any:
    """A documented key (``FIELDS``) that has no ``Config`` attribute, read from the file."""
    v = _get(config.raw, dotted)
    return default if v is None else v


def _flatten_yaml(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k == "validation" and isinstance(v, dict):
            for vk, vv in v.items():
                out.setdefault("validation", {})[str(_YAML_KEYS.get(vk, vk)).split(".")[-1]] = vv
        elif k in _YAML_KEYS:
            target = _YAML_KEYS[k]
            if "." in target:
                a, b = target.split(".", 1)
                out.setdefault(a, {})[b] = v
            else:
                out[target] = v
        else:
            out[k] = v
    return out


class _JsonContext:
    """What ``json.JSONDecoder()`` hands its C scanner (``_json.make_scanner``)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo: dict[Any, Any] = {}


def json_loads(text: str) -> Any:
    """``json.loads(text)`` for a str, through the same C scanner with the same
    settings, without importing ``json`` (its package imports the encoder too and
    compiles six regexes: ~1.5 ms of every command in a project with a config.json).
    Anything but a clean parse (no C scanner, an error, extra data) asks ``json.loads``
    itself, so every result and every error message is json's own."""
    try:
        import _json

        if not text.startswith("\ufeff"):
            ws = " \t\n\r"
            start = len(text) - len(text.lstrip(ws))
            obj, end = _json.make_scanner(_JsonContext)(text, start)  # type: ignore[arg-type]
            if len(text.rstrip(ws)) == end:
                return obj
    except Exception:  # json.loads below raises json's own error
        pass
    import json

    return json.loads(text)


def read_config_file(root: Path) -> tuple[dict[str, Any], str | None]:
    base = root / CONFIG_DIR
    for name in ("config.json", "config.yaml", "config.yml"):
        p = base / name
        if not os.path.lexists(p):
            continue
        try:
            # Containment (docs/security.md): a config that is a symlink out of the
            # project is refused, never read (its content could show in an error).
            from . import confine

            data_b = confine.read_file(str(p), str(base), os.path.realpath(root), 1 << 20)[0]
            if len(data_b) > 1 << 20:
                raise ConfigError(f"{p}: config file too large")
            # "utf-8-sig" without its codec module (~0.15 ms): one leading BOM dropped.
            text = data_b.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except IsADirectoryError:
            continue
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read config: {exc.strerror}", details={"path": str(p)}) from None
        except UnicodeDecodeError:
            raise ConfigError(f"{p}: cannot read config: not UTF-8 text", details={"path": str(p)}) from None
        try:
            if name.endswith(".json"):
                data = json_loads(text) if text.strip() else {}
            else:
                from .frontmatter import load_yaml

                data = _flatten_yaml(load_yaml(text) or {})
        except Exception as exc:
            raise ConfigError(
                f"{p}: invalid {'JSON' if name.endswith('.json') else 'YAML'}: {exc}",
                hint="fix the file or remove it to use the defaults",
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{p}: the config must be an object")
        return data, str(p)
    return {}, None


def load_config(root: Path, overrides: dict[str, Any] | None = None) -> Config:
    raw, source = read_config_file(root)
    merged = dict(raw)
    for k, v in (overrides or {}).items():
        if v is not None:
            merged[k] = v

    def pick(dotted: str, default: Any, typ: type) -> Any:
        v = _get(merged, dotted)
        if v is None:
            return default
        if typ is bool:
            return bool(v)
        try:
            return typ(v)
        except (TypeError, ValueError):
            raise ConfigError(f"{source or 'config'}: {dotted} must be a {typ.__name__}") from None

    where = source or "config"
    specs_dir = str(pick("specsDir", "specs", str)).strip() or "specs"
    _check_name(where, "specsDir", specs_dir, nested=True)
    if Path(specs_dir).parts[0] == CONFIG_DIR:
        raise ConfigError(f"{where}: specsDir must not be inside {CONFIG_DIR}: {specs_dir!r}", details={"key": "specsDir"})
    templates = merged.get("templates")
    templates = dict(templates) if isinstance(templates, dict) else {"default": "spec-template.md"}
    for name, ref in templates.items():
        _check_name(where, f"templates.{name}", str(ref), nested=True)
    template = str(pick("template", "spec-template.md", str))
    _check_name(where, "template", template, nested=True)
    default_file = str(pick("structure.defaultFile", "README.md", str))
    _check_name(where, "structure.defaultFile", default_file, nested=False)
    prefix = str(pick("structure.prefix", "", str) or "")
    if prefix:
        _check_name(where, "structure.prefix", prefix, nested=False)
    timeout = os.environ.get("LEANSPEC_LOCK_TIMEOUT")
    return Config(
        specs_dir=specs_dir,
        template=template,
        templates={str(k): str(v) for k, v in templates.items()},
        sequence_digits=max(1, min(12, int(pick("structure.sequenceDigits", 3, int)))),
        default_file=default_file,
        prefix=prefix,
        draft_enabled=bool(pick("draftStatus.enabled", False, bool)),
        archive_mode=str(pick("archive.mode", "move", str)),
        max_lines=int(pick("validation.maxLines", 400, int)),
        warn_lines=int(pick("validation.warnLines", 300, int)),
        max_tokens=int(pick("validation.maxTokens", 5000, int)),
        warn_tokens=int(pick("validation.warnTokens", 3500, int)),
        enforce_checklist=bool(pick("validation.enforceCompletionChecklist", True, bool)),
        required_sections=tuple(pick("validation.requiredSections", [], list)),
        lock_timeout=float(timeout) if timeout else float(pick("lockTimeout", 10.0, float)),
        status_header_insert=bool(pick("statusHeader.insert", False, bool)),
        source=source,
        raw=raw,
    )


def _check_name(where: str, key: str, value: str, *, nested: bool) -> None:
    """Config values that name files are plain relative names inside the project
    (``nested``: sub-folders allowed, never ``..``); ConfigError naming the key."""
    bad = (
        not value.strip()
        or value != value.strip()
        or "\\" in value
        or any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF for c in value)
        or value.startswith("/")
        or Path(value).is_absolute()
        or any(part in ("", ".", "..") for part in value.split("/"))
        or (not nested and ("/" in value or value.startswith(".")))
        or len(value.encode("utf-8", "surrogatepass")) > 200
    )
    if bad:
        what = "a plain file name" if not nested else "a relative path inside the project (no '..')"
        raise ConfigError(
            f"{where}: {key} must be {what}: {value!r}",
            hint=f"fix {key} in the config file",
            details={"key": key, "value": value},
        )


def find_root(start: Path) -> Path | None:
    """Nearest folder upward with ``.lean-spec/`` or ``specs/``."""
    cur = start.resolve()
    for d in (cur, *cur.parents):
        if (d / CONFIG_DIR).is_dir():
            return d
    for d in (cur, *cur.parents):
        if (d / "specs").is_dir():
            return d
    return None
