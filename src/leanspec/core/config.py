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
    ("lockTimeout", 10.0, "Seconds a writer waits for the project lock (env LEANSPEC_LOCK_TIMEOUT)."),
)

_YAML_KEYS: dict[str, str] = {
    "specs_dir": "specsDir",
    "default_template": "template",
    "max_lines": "validation.maxLines",
    "max_tokens": "validation.maxTokens",
    "warn_tokens": "validation.warnTokens",
    "enforce_completion_checklist": "validation.enforceCompletionChecklist",
    "required_sections": "validation.requiredSections",
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
            "source": self.source,
        }


def _get(d: dict[str, Any], dotted: str) -> Any:
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


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


def read_config_file(root: Path) -> tuple[dict[str, Any], str | None]:
    base = root / CONFIG_DIR
    for name in ("config.json", "config.yaml", "config.yml"):
        p = base / name
        if not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: cannot read config: {exc}") from None
        try:
            if name.endswith(".json"):
                import json  # here: a project without config.json never pays for it

                data = json.loads(text) if text.strip() else {}
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

    specs_dir = str(pick("specsDir", "specs", str)).strip() or "specs"
    if Path(specs_dir).is_absolute() or ".." in Path(specs_dir).parts:
        raise ConfigError(f"{source or 'config'}: specsDir must stay inside the project: {specs_dir!r}")
    templates = merged.get("templates")
    timeout = os.environ.get("LEANSPEC_LOCK_TIMEOUT")
    return Config(
        specs_dir=specs_dir,
        template=str(pick("template", "spec-template.md", str)),
        templates=dict(templates) if isinstance(templates, dict) else {"default": "spec-template.md"},
        sequence_digits=max(1, int(pick("structure.sequenceDigits", 3, int))),
        default_file=str(pick("structure.defaultFile", "README.md", str)),
        prefix=str(pick("structure.prefix", "", str) or ""),
        draft_enabled=bool(pick("draftStatus.enabled", False, bool)),
        archive_mode=str(pick("archive.mode", "move", str)),
        max_lines=int(pick("validation.maxLines", 400, int)),
        warn_lines=int(pick("validation.warnLines", 300, int)),
        max_tokens=int(pick("validation.maxTokens", 5000, int)),
        warn_tokens=int(pick("validation.warnTokens", 3500, int)),
        enforce_checklist=bool(pick("validation.enforceCompletionChecklist", True, bool)),
        required_sections=tuple(pick("validation.requiredSections", [], list)),
        lock_timeout=float(timeout) if timeout else float(pick("lockTimeout", 10.0, float)),
        source=source,
        raw=raw,
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
