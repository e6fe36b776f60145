"""Parse the usual ``lean-spec`` command lines without argparse.

Start-up time: ``import argparse`` costs ~2 ms, building a sub-parser ~1 ms more, and
argparse needs ``re`` (and so ``enum``): ~5 ms per process more than a command like
``list`` needs. This parser is driven by the very same declarations: it hands
``register()`` of the command's module (``cli/cmd_*.py``) and the shared options
(``cli.commands``) recorders that stand in for argparse's parser, sub-parsers and
groups and note every call. ``parse(argv)`` then returns the namespace argparse would
return for ``argv`` (same attributes, same values), or None when it is not certain
to: help, usage errors, abbreviations, ``--``, bundled short options, values that
start with ``-``, a declaration the recorder does not know, ... The caller then runs
argparse (``cli.fullparse``), which stays the authority. tests/test_cli_quickparse.py
compares the two on many generated command lines of every command.

The parsing below follows ``argparse.ArgumentParser._parse_known_args`` step by step
(option/argument pattern, positionals consumed greedily up to each option, defaults,
required arguments, mutually exclusive groups, string defaults converted last, a
sub-parser's namespace copied over the root's), as the argparse of the versions in
``SUPPORTED`` does it; on any other version ``parse`` answers None (argparse decides).

What differs between those versions, for what this parser answers (diffs of
``argparse.py``; everything else it answers is the same code in all of them):

- 3.12: an empty ``nargs='*'`` positional whose default is None is no longer checked
  against ``choices`` (3.11 checks ``[]``: an error unless ``[]`` is a choice).
- 3.13: the ``deprecated=`` keyword (add_argument, add_parser): unknown to the recorder,
  so such a declaration makes its command go to argparse; ``--`` is no longer dropped
  from an option's values (``--opt=--``: never answered here); bundled short options
  (never answered here); usage errors raised as ``ArgumentError`` (never answered here).
"""

from __future__ import annotations

import sys

from .commands import COMMANDS, add_common_options, declare_root, register_commands

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# The argparse versions this parser follows, each checked against it by
# tests/test_cli_quickparse.py. Bug-fix releases change argparse's parsing too (3.12.7,
# 3.12.8, 3.13.1 reworked '--', positionals after options, ...), so 3.12 and 3.13 are
# listed by release: add one only after running that test under it. Any other version
# (3.14+, or a release not listed) parses with argparse.
SUPPORTED = sys.version_info[:2] == (3, 11) or sys.version_info[:3] in ((3, 12, 1), (3, 13, 0))
# 3.11 checks an empty nargs='*' positional's [] against its choices; 3.12+ does not.
_CHECK_EMPTY_STAR = sys.version_info[:2] == (3, 11)

SUPPRESS = "==SUPPRESS=="  # argparse.SUPPRESS, compared by value here
_INF = 1 << 30
_NARGS = {None: (1, 1), "?": (0, 1), "*": (0, _INF), "+": (1, _INF)}
# Keyword arguments the recorder understands; any other marks the parser unsupported.
_ARG_KW = frozenset(("action", "nargs", "const", "default", "type", "choices", "required", "help", "metavar", "dest", "version"))
_PARSER_KW = frozenset(("prog", "description", "help", "parents", "add_help", "formatter_class", "conflict_handler"))
_ACTIONS = frozenset(("store", "store_const", "store_true", "store_false", "append", "append_const", "count", "help", "version"))


class Unsure(Exception):
    """Not certain to give argparse's result: argparse decides."""


class Namespace:
    """The parsed options (``argparse.Namespace``'s behaviour, without argparse)."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)

    def __eq__(self, other: object) -> bool:
        if not hasattr(other, "__dict__"):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def __repr__(self) -> str:
        return "Namespace(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


class Action:
    """One recorded ``add_argument``."""

    __slots__ = ("option_strings", "dest", "kind", "nargs", "min", "max", "const", "default", "type", "choices", "required")

    def __init__(self, args: tuple[str, ...], kw: dict[str, Any], defaults: dict[str, Any]) -> None:
        if not kw.keys() <= _ARG_KW:
            raise Unsure("unknown add_argument keyword")
        kind = kw.get("action", "store")
        if kind not in _ACTIONS:  # a class, "extend", BooleanOptionalAction, ...
            raise Unsure("unknown action")
        if not args or not all(isinstance(a, str) and a for a in args):
            raise Unsure("option names")
        positional = not args[0].startswith("-")
        if positional:
            if len(args) != 1 or "dest" in kw or "required" in kw:
                raise Unsure("positional")
            self.option_strings: tuple[str, ...] = ()
            dest = args[0]
        else:
            if not all(a.startswith("-") and len(a) > 1 for a in args):
                raise Unsure("option names")
            self.option_strings = args
            given = kw.get("dest")
            if given is None:
                longs = [a for a in args if a[1] == "-"]
                dest = (longs or list(args))[0].lstrip("-").replace("-", "_")
            elif isinstance(given, str):
                dest = given
            else:
                raise Unsure("dest")
            if not dest:
                raise Unsure("dest")
        if kind in ("help", "version"):
            dest = kw.get("dest", SUPPRESS)
        self.dest: str = dest
        self.kind = kind
        self.type = kw.get("type")
        if self.type is not None and not callable(self.type):
            raise Unsure("type")
        self.choices = kw.get("choices")
        self.const = kw.get("const")
        if "default" in kw:
            default = kw["default"]
        elif dest in defaults:
            default = defaults[dest]
        else:
            default = {"store_true": False, "store_false": True, "help": SUPPRESS, "version": SUPPRESS}.get(kind)
        self.default = default
        if kind in ("store_true", "store_false"):
            self.const = kind == "store_true"
        nargs = kw.get("nargs")
        if kind in ("store", "append"):
            if isinstance(nargs, int) and not isinstance(nargs, bool) and nargs >= 1:
                self.min = self.max = nargs
            elif nargs in _NARGS:
                self.min, self.max = _NARGS[nargs]
            else:
                raise Unsure("nargs")
            if self.const is not None and nargs != "?":
                raise Unsure("const")
        else:
            if "nargs" in kw or (kind not in ("store_const", "append_const") and "const" in kw):
                raise Unsure("nargs")
            self.min = self.max = 0
        self.nargs = nargs
        if positional:
            self.required = nargs not in ("?", "*") or (nargs == "*" and "default" not in kw)
            if self.min == 0 and self.max == 0:
                raise Unsure("positional")
        else:
            self.required = bool(kw.get("required", False))


class Group:
    """A mutually exclusive group (or an argument group) of a recorded parser."""

    def __init__(self, parser: Recorder, required: bool = False, exclusive: bool = True) -> None:
        self.parser = parser
        self.required = required
        self.actions: list[Action] = []
        if exclusive:
            parser.groups.append(self)

    def add_argument(self, *args: str, **kw: Any) -> Action | None:
        action = self.parser.add_argument(*args, **kw)
        if action is not None:
            self.actions.append(action)
        return action

    def __getattr__(self, name: str) -> Any:
        return self.parser.unknown(name)


class Recorder:
    """Stands in for ``argparse.ArgumentParser`` (the shared options, the root parser and
    each sub-parser): records the declarations, then parses like argparse."""

    def __init__(self, prog: str | None = None, **kw: Any) -> None:
        self.prog = prog
        self.actions: list[Action] = []
        self.options: dict[str, Action] = {}
        self.groups: list[Group] = []
        self.defaults: dict[str, Any] = {}
        self.subparsers: SubParsers | None = None
        self.formatter_class = kw.get("formatter_class")
        self.problem = "" if kw.keys() <= _PARSER_KW else "unknown parser keyword"
        self.resolve = kw.get("conflict_handler", "error") == "resolve"
        if kw.get("conflict_handler", "error") not in ("error", "resolve"):
            self.problem = "conflict handler"
        if kw.get("add_help", True):
            self.add_argument("-h", "--help", action="help")
        for parent in kw.get("parents", ()):
            if not isinstance(parent, Recorder) or parent.problem or parent.groups or parent.subparsers:
                self.problem = "parent"
                break
            for action in parent.actions:
                self.add(action)
            self.defaults.update(parent.defaults)

    # ------------------------------------------------------------- recording
    # A declaration the recorder does not know marks the parser unsupported (its
    # command lines go to argparse); the recording goes on, so register() completes.
    def unknown(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args: Any, **kw: Any) -> Any:
            self.problem = f"unknown call {name}()"
            return Group(self, exclusive=False)

        return call

    def __getattr__(self, name: str) -> Any:
        return self.unknown(name)

    def add_argument(self, *args: str, **kw: Any) -> Action | None:
        try:
            action = Action(args, kw, self.defaults)
        except Unsure as exc:
            self.problem = str(exc)
            return None
        self.add(action)
        return action

    def add(self, action: Action) -> None:
        clash = [o for o in action.option_strings if o in self.options]
        if clash:
            if not self.resolve:
                self.problem = "conflicting option"
                return
            for o in clash:  # argparse's _handle_conflict_resolve
                old = self.options.pop(o)
                old.option_strings = tuple(x for x in old.option_strings if x != o)
                if not old.option_strings:
                    self.actions.remove(old)
                    for g in self.groups:
                        if old in g.actions:
                            g.actions.remove(old)
        self.actions.append(action)
        for o in action.option_strings:
            self.options[o] = action

    def add_mutually_exclusive_group(self, required: bool = False) -> Group:
        return Group(self, required)

    def add_argument_group(self, title: str | None = None, description: str | None = None) -> Group:
        return Group(self, exclusive=False)

    def set_defaults(self, **kw: Any) -> None:
        self.defaults.update(kw)
        for action in self.actions:
            if action.dest in kw:
                action.default = kw[action.dest]

    def add_subparsers(self, dest: str = SUPPRESS, metavar: str | None = None, **kw: Any) -> SubParsers:
        if kw.keys() - {"title", "description", "help"} or self.subparsers is not None:
            self.problem = "add_subparsers"
        self.subparsers = SubParsers(dest)
        return self.subparsers

    # --------------------------------------------------------------- parsing
    def pattern_of(self, tok: str) -> tuple[Action, str, str | None] | None:
        """argparse's ``_parse_optional``, for the tokens whose meaning is certain: None
        for an argument ('A'), the option for an option ('O'); Unsure otherwise."""
        if not tok or tok[0] != "-" or tok == "-":
            return None
        action = self.options.get(tok)
        if action is not None:
            return action, tok, None
        if tok.startswith("--") and "=" in tok:
            name, value = tok.split("=", 1)
            action = self.options.get(name)
            if action is not None and len(name) > 2:
                return action, name, value
        if " " in tok:  # an argument ("- [ ] item"), unless it starts like an option
            if tok[1] == "-":
                prefix = tok.split("=", 1)[0]
                if not any(o.startswith(prefix) for o in self.options):
                    return None
            elif not any(o == tok[:2] or o.startswith(tok) for o in self.options):
                return None
        raise Unsure(tok)  # abbreviation, bundled flags, -xVALUE, negative number, --, ...

    def take(self, ns: Namespace, action: Action, args: list[str], seen: set[Action], seen_non_default: set[Action]) -> None:
        """argparse's ``take_action`` (with ``_get_values`` and the action's ``__call__``)."""
        if action.kind in ("help", "version"):
            raise Unsure("help/version")
        if "--" in args:  # `--opt=--`: argparse drops the '--' from the values
            raise Unsure("--")
        seen.add(action)
        value: Any
        if not args and action.nargs == "?":
            value = action.const if action.option_strings else action.default
            if isinstance(value, str):
                if value == SUPPRESS:
                    raise Unsure("suppressed value")
                value = self.convert(action, value)
                self.check(action, value)
        elif not args and action.nargs == "*" and not action.option_strings:
            if action.default is not None:
                value = action.default
                if isinstance(value, str) and value == SUPPRESS:
                    raise Unsure("suppressed value")
                self.check(action, value)
            else:
                value = args
                if _CHECK_EMPTY_STAR:
                    self.check(action, value)
        elif len(args) == 1 and action.nargs in (None, "?") and action.max == 1:
            value = self.convert(action, args[0])
            self.check(action, value)
        else:
            value = [self.convert(action, v) for v in args]
            for v in value:
                self.check(action, v)
        if value is not action.default:
            seen_non_default.add(action)
            for group in self.groups:
                if action in group.actions and any(a is not action and a in seen_non_default for a in group.actions):
                    raise Unsure("not allowed with")
        kind = action.kind
        if kind == "store":
            setattr(ns, action.dest, value)
        elif kind in ("store_const", "store_true", "store_false"):
            setattr(ns, action.dest, action.const)
        elif kind in ("append", "append_const"):
            items = getattr(ns, action.dest, None)
            if items is None:
                items = []
            elif type(items) is list:
                items = items[:]
            else:
                raise Unsure("append to a non-list")
            items.append(value if kind == "append" else action.const)
            setattr(ns, action.dest, items)
        else:  # count
            count = getattr(ns, action.dest, None)
            setattr(ns, action.dest, (0 if count is None else count) + 1)

    @staticmethod
    def convert(action: Action, text: str) -> Any:
        if action.type is None:
            return text
        try:
            return action.type(text)
        except Exception:  # argparse: a usage error (or the exception itself)
            raise Unsure("type") from None

    @staticmethod
    def check(action: Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            raise Unsure("invalid choice")

    def fresh_namespace(self) -> Namespace:
        """``parse_known_args``: the action defaults, then the parser's defaults."""
        ns = Namespace()
        d = ns.__dict__
        for action in self.actions:
            if action.dest != SUPPRESS and action.dest not in d and not (isinstance(action.default, str) and action.default == SUPPRESS):
                d[action.dest] = action.default
        for dest, value in self.defaults.items():
            d.setdefault(dest, value)
        return ns

    def parse(self, tokens: Sequence[str]) -> Namespace:
        """A sub-parser's ``parse_known_args(tokens)`` (no extras allowed): argparse's
        ``_parse_known_args`` step by step."""
        if self.problem:
            raise Unsure(self.problem)
        ns = self.fresh_namespace()
        found = [self.pattern_of(t) for t in tokens]
        n = len(tokens)
        # the length of the run of arguments ('A') starting at each index
        run = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            run[i] = run[i + 1] + 1 if found[i] is None else 0
        seen: set[Action] = set()
        seen_non_default: set[Action] = set()
        positionals = [a for a in self.actions if not a.option_strings]

        def consume_optional(i: int) -> int:
            action, _name, explicit = found[i]  # type: ignore[misc]
            if explicit is not None:
                # _match_argument(action, 'A') must take exactly that one argument
                if not (action.min <= 1 <= action.max):
                    raise Unsure("explicit argument")
                self.take(ns, action, [explicit], seen, seen_non_default)
                return i + 1
            avail = run[i + 1]
            if avail < action.min:
                raise Unsure("expected argument")
            count = min(action.max, avail)
            self.take(ns, action, list(tokens[i + 1 : i + 1 + count]), seen, seen_non_default)
            return i + 1 + count

        def consume_positionals(i: int) -> int:
            # _match_arguments_partial: the longest prefix of the positionals whose
            # minimum fits the run of arguments; each takes as many as it can greedily.
            avail = run[i]
            k = len(positionals)
            while k and sum(a.min for a in positionals[:k]) > avail:
                k -= 1
            matched = positionals[:k]
            for j, action in enumerate(matched):
                count = min(action.max, avail - sum(a.min for a in matched[j + 1 :]))
                avail -= count
                self.take(ns, action, list(tokens[i : i + count]), seen, seen_non_default)
                i += count
            del positionals[:k]
            return i

        option_indices = [i for i in range(n) if found[i] is not None]
        start = 0
        max_option = option_indices[-1] if option_indices else -1
        while start <= max_option:
            next_option = min(i for i in option_indices if i >= start)
            if start != next_option:
                end = consume_positionals(start)
                if end > start:
                    start = end
                    continue
                start = end
            if start != next_option:
                raise Unsure("unrecognized arguments")
            start = consume_optional(start)
        stop = consume_positionals(start)
        if stop != n:
            raise Unsure("unrecognized arguments")
        d = ns.__dict__
        for action in self.actions:
            if action not in seen:
                if action.required:
                    raise Unsure("required argument missing")
                default = action.default
                if default is not None and isinstance(default, str) and action.dest in d and d[action.dest] is default:
                    d[action.dest] = self.convert(action, default)
        for group in self.groups:
            if group.required and not any(a in seen_non_default for a in group.actions):
                raise Unsure("one of the arguments is required")
        return ns


class SubParsers:
    """Stands in for argparse's ``_SubParsersAction`` (``add_subparsers()``)."""

    def __init__(self, dest: str) -> None:
        self.dest = dest
        self.parsers: dict[str, Recorder] = {}

    def add_parser(self, name: str, **kw: Any) -> Recorder:
        problem = "add_parser" if kw.pop("aliases", None) or name in self.parsers else ""
        parser = Recorder(name, **kw)
        parser.problem = parser.problem or problem
        self.parsers[name] = parser
        return parser

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsure(f"unknown call {name}()")


def _ambiguous_at(parser: Recorder, tok: str) -> bool:
    """Would ``parser`` (the root) call ``tok`` an ambiguous abbreviation (an error)?
    (argparse's ``_parse_optional`` and ``_get_option_tuples``.)"""
    if len(tok) < 2 or tok[0] != "-" or tok in parser.options:
        return False
    if "=" in tok and tok.split("=", 1)[0] in parser.options:
        return False
    if tok[1] == "-":
        prefix = tok.split("=", 1)[0]
        return sum(o.startswith(prefix) for o in parser.options) > 1
    return sum(o == tok[:2] or o.startswith(tok) for o in parser.options) > 1


def parse(argv: Sequence[str]) -> Namespace | None:
    """argparse's namespace for ``argv`` (``build_parser().parse_args(argv)``), or None
    when that is not certain (then argparse decides: help, errors, ...)."""
    if not SUPPORTED:  # an argparse it has not been checked against
        return None
    try:
        return _parse(argv)
    except Unsure:
        return None


def _parse(argv: Sequence[str]) -> Namespace:
    common = Recorder(add_help=False)
    add_common_options(common)
    root, sub = declare_root(Recorder, common)
    if root.problem or not isinstance(sub, SubParsers):
        raise Unsure(root.problem)
    # The root: options before the command, then the command, which takes the rest
    # (its nargs is PARSER). The root classifies the tokens after the command too;
    # a long option there is harmless unless it abbreviates two of the root's.
    ns = root.fresh_namespace()
    if sub.dest != SUPPRESS:
        ns.__dict__.setdefault(sub.dest, None)
    seen: set[Action] = set()
    seen_non_default: set[Action] = set()
    n = len(argv)
    i = 0
    while True:
        if i >= n:
            raise Unsure("no command")
        found = root.pattern_of(argv[i])
        if found is None:
            break
        action, _name, explicit = found
        if explicit is not None:
            if not (action.min <= 1 <= action.max):
                raise Unsure("explicit argument")
            root.take(ns, action, [explicit], seen, seen_non_default)
            i += 1
            continue
        count = 0
        while count < action.max and i + 1 + count < n and root.pattern_of(argv[i + 1 + count]) is None:
            count += 1
        if count < action.min:
            raise Unsure("expected argument")
        root.take(ns, action, list(argv[i + 1 : i + 1 + count]), seen, seen_non_default)
        i += 1 + count
    name = argv[i]
    rest = argv[i + 1 :]
    for tok in rest:
        if _ambiguous_at(root, tok):
            raise Unsure("ambiguous at the root")
    if name not in COMMANDS:
        raise Unsure("unknown command")
    try:
        register_commands(sub, common, name)
    except Unsure:
        raise
    except Exception as exc:  # argparse will meet it too, and report it
        raise Unsure(repr(exc)) from None
    parser = sub.parsers.get(name)
    if parser is None:
        raise Unsure("command not registered")
    if sub.dest != SUPPRESS:
        setattr(ns, sub.dest, name)
    ns.__dict__.update(parser.parse(rest).__dict__)
    # the root's own end: required arguments (none), string defaults of unseen actions
    d = ns.__dict__
    for action in root.actions:
        if action not in seen:
            if action.required:
                raise Unsure("required argument missing")
            default = action.default
            if default is not None and isinstance(default, str) and action.dest in d and d[action.dest] is default:
                d[action.dest] = root.convert(action, default)
    return ns
