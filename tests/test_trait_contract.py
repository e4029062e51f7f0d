"""The Python↔TypeScript trait contract: each explorer's ``sync=True`` traits match its TS interface.

Every explorer front end declares its synced traits once, as ``export interface <Name>Traits extends
ExplorerTraits`` (``js/src/lib/model.ts``), and reads the model only through it, so ``tsc`` refuses a
misspelt trait in the page. This test closes the other half: a Python trait renamed without its
TypeScript interface fails here, in a second, before any browser test would show a blank panel.

It finds explorers by walking ``nbviz/widgets/*.py`` for :class:`~nbviz.widgets._base.Explorer`
subclasses (a new explorer is checked the day it appears), finds ``<ClassName minus Explorer>Traits``
in that explorer's bundle source (``js/src/<bundle>.ts`` or ``js/src/<bundle>/``), and compares names
and kinds (number, string, boolean, array, binary, object) and, outside binary arrays, nullability.
Where the interface spells a string trait as a union of literals (``mode: "line" | "plane"``), the
values must be exactly the Python ``Enum``'s.
"""

from __future__ import annotations

import importlib
import inspect
import pathlib
import pkgutil
import re
from dataclasses import dataclass

import anywidget
import pytest
import traitlets

import nbviz.widgets
from nbviz.widgets._arrays import Array
from nbviz.widgets._base import Explorer

JS_SRC = pathlib.Path(__file__).resolve().parents[1] / "js" / "src"
BASE_INTERFACE = "ExplorerTraits"


@dataclass(frozen=True)
class Kind:
    """A trait's kind as both sides can state it."""

    kind: str  # number | string | boolean | array | binary | object
    nullable: bool
    #: the allowed values of a string trait (a Python Enum, a TS union of literals); None: any string
    values: frozenset[str] | None = None

    def __str__(self) -> str:
        values = " | ".join(f'"{v}"' for v in sorted(self.values)) if self.values else self.kind
        return f"{values}{' | null' if self.nullable and self.kind != 'binary' else ''}"

    def agrees(self, typescript: Kind) -> bool:
        """Same kind and nullability; values compared only where TypeScript lists them."""
        same_values = typescript.values is None or typescript.values == self.values
        return (self.kind, self.nullable) == (typescript.kind, typescript.nullable) and same_values


# -- Python side -------------------------------------------------------------------------------------

_PY_KINDS: tuple[tuple[type, str], ...] = (
    (Array, "binary"),
    (traitlets.Bool, "boolean"),
    (traitlets.Float, "number"),
    (traitlets.Int, "number"),
    (traitlets.Unicode, "string"),
    (traitlets.Enum, "string"),
    (traitlets.List, "array"),
    (traitlets.Tuple, "array"),
    (traitlets.Dict, "object"),
)
_WIDGET_TRAITS = set(anywidget.AnyWidget.class_trait_names(sync=True))


def python_kind(name: str, trait: traitlets.TraitType) -> Kind:
    """The kind of one Python trait; a ``TypeError`` naming it when the kind has no TS counterpart."""
    for klass, kind in _PY_KINDS:
        if isinstance(trait, klass):
            values = frozenset(map(str, trait.values)) if isinstance(trait, traitlets.Enum) else None
            return Kind(kind, kind == "binary" or bool(trait.allow_none), values)
    raise TypeError(f"trait {name!r}: no TypeScript kind for {type(trait).__name__}; add it to _PY_KINDS")


def python_traits(cls: type[Explorer]) -> dict[str, Kind]:
    """The explorer's own synced traits (anywidget's and ipywidgets' plumbing left out) and their kinds."""
    traits = cls.class_traits(sync=True)
    return {
        name: python_kind(name, trait)
        for name, trait in traits.items()
        if name not in _WIDGET_TRAITS and not name.startswith("_")
    }


def explorer_classes() -> list[type[Explorer]]:
    """Every Explorer subclass defined in a public module of ``nbviz.widgets``."""
    found = []
    for info in pkgutil.iter_modules(nbviz.widgets.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"nbviz.widgets.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Explorer) and cls is not Explorer and cls.__module__ == module.__name__:
                found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


# -- TypeScript side --------------------------------------------------------------------------------

_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_IDENT = r"[A-Za-z_$][\w$]*"


def _body(source: str, name: str) -> tuple[str | None, str] | None:
    """``(base interface or None, body)`` of ``interface name``, or None if the source lacks it."""
    source = _COMMENTS.sub("", source)
    match = re.search(rf"\binterface\s+{name}\s*(?:extends\s+({_IDENT})\s*)?\{{", source)
    if match is None:
        return None
    depth, start = 1, match.end()
    for i in range(start, len(source)):
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        if depth == 0:
            return match.group(1), source[start:i]
    raise ValueError(f"interface {name}: unbalanced braces")


def _members(body: str) -> list[str]:
    """The body split at top-level ``;`` (nested ``{}``/``<>``/``()``/``[]`` kept whole)."""
    parts, depth, current = [], 0, []
    for char in body:
        depth += {"{": 1, "<": 1, "(": 1, "[": 1, "}": -1, ">": -1, ")": -1, "]": -1}.get(char, 0)
        if char in ";\n" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def ts_kind(name: str, text: str) -> Kind:
    """The kind of a TS member type such as ``number | null``, ``Binary<Float32Array>``, ``string[]``."""
    alternatives = [a.strip() for a in text.split("|") if a.strip()] if "<" not in text and "{" not in text else [text]
    nullable = "null" in alternatives
    rest = [a for a in alternatives if a not in ("null", "undefined")]
    if text.startswith("Binary"):
        return Kind("binary", True)
    if rest == ["string"]:
        return Kind("string", nullable)
    if rest and all(re.fullmatch(r"\"[^\"]*\"|'[^']*'", a) for a in rest):
        return Kind("string", nullable, frozenset(a[1:-1] for a in rest))
    if rest == ["number"] or rest == ["boolean"]:
        return Kind(rest[0], nullable)
    if len(rest) == 1 and (rest[0].endswith("[]") or rest[0].startswith(("Array<", "ReadonlyArray<", "["))):
        return Kind("array", nullable)
    if len(rest) == 1 and (rest[0].startswith(("Record<", "{")) or re.fullmatch(r"[A-Z]\w*", rest[0])):
        return Kind("object", nullable)
    raise ValueError(f"trait {name!r}: cannot tell the kind of TypeScript type {text!r}")


def ts_traits(sources: list[str], name: str) -> dict[str, Kind]:
    """Members of interface ``name`` (with those of the interface it extends) found in ``sources``."""
    for source in sources:
        found = _body(source, name)
        if found is not None:
            break
    else:
        raise LookupError(f"no `interface {name}` in the given sources")
    base, body = found
    traits = ts_traits(sources, base) if base else {}
    for member in _members(body):
        match = re.fullmatch(rf"(?:readonly\s+)?({_IDENT})(\??)\s*:\s*(.+)", member, re.S)
        if match is None:
            raise ValueError(f"interface {name}: cannot read member {member!r}")
        traits[match.group(1)] = ts_kind(match.group(1), " ".join(match.group(3).split()))
    return traits


def bundle_sources(bundle: str) -> list[str]:
    """The TS sources of one explorer's bundle (``js/src/<bundle>.ts`` or ``js/src/<bundle>/**``) and lib/."""
    files = [JS_SRC / f"{bundle}.ts", *sorted((JS_SRC / bundle).rglob("*.ts"))]
    return [p.read_text() for p in files if p.exists()] + [(JS_SRC / "lib" / "model.ts").read_text()]


def interface_name(cls: type) -> str:
    """``TSNEExplorer`` → ``TSNETraits``."""
    return cls.__name__.removesuffix("Explorer") + "Traits"


def mismatches(python: dict[str, Kind], typescript: dict[str, Kind]) -> list[str]:
    """Every difference, worded for a person: missing on either side, or a different kind."""
    problems = [f"{n}: a Python trait missing from the TS interface" for n in sorted(python.keys() - typescript.keys())]
    problems += [f"{n}: in the TS interface but not a Python sync trait" for n in sorted(typescript.keys() - python.keys())]
    for n in sorted(python.keys() & typescript.keys()):
        if not python[n].agrees(typescript[n]):
            problems.append(f"{n}: Python {python[n]}, TypeScript {typescript[n]}")
    return problems


# -- the contract ------------------------------------------------------------------------------------

EXPLORERS = explorer_classes()


def test_every_explorer_is_found() -> None:
    names = {cls.__name__ for cls in EXPLORERS}
    assert {"TSNEExplorer", "LayerExplorer", "LandscapeExplorer", "PredictionExplorer"} <= names
    assert len(names) >= 7


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_python_traits_match_the_typescript_interface(cls: type[Explorer]) -> None:
    """A Python trait renamed without its TypeScript interface fails here."""
    bundle = cls._bundle
    typescript = ts_traits(bundle_sources(bundle), interface_name(cls))
    problems = mismatches(python_traits(cls), typescript)
    assert not problems, f"{cls.__name__} vs js/src/{bundle} {interface_name(cls)}:\n  " + "\n  ".join(problems)


# -- the test can fail -------------------------------------------------------------------------------


def _tsne() -> tuple[dict[str, Kind], list[str]]:
    cls = next(c for c in EXPLORERS if c.__name__ == "TSNEExplorer")
    return python_traits(cls), bundle_sources(cls._bundle)


def test_a_python_rename_is_caught() -> None:
    python, sources = _tsne()
    renamed = dict(python)
    renamed["perplexity_value"] = renamed.pop("perplexity")
    problems = mismatches(renamed, ts_traits(sources, "TSNETraits"))
    assert problems == [
        "perplexity_value: a Python trait missing from the TS interface",
        "perplexity: in the TS interface but not a Python sync trait",
    ]


def test_a_typescript_rename_and_a_kind_change_are_caught() -> None:
    python, sources = _tsne()
    edited = [re.sub(r"\bperplexity: number;", "perplexty: number;", s) for s in sources]
    edited = [re.sub(r"\bseed: number;", "seed: string;", s) for s in edited]
    problems = mismatches(python, ts_traits(edited, "TSNETraits"))
    assert "perplexity: a Python trait missing from the TS interface" in problems
    assert "perplexty: in the TS interface but not a Python sync trait" in problems
    assert "seed: Python number, TypeScript string" in problems


def test_a_misspelt_enum_value_is_caught() -> None:
    cls = next(c for c in EXPLORERS if c.__name__ == "LandscapeExplorer")
    edited = [s.replace('mode: "line" | "plane" | "surface";', 'mode: "line" | "plain" | "surface";') for s in bundle_sources(cls._bundle)]
    assert mismatches(python_traits(cls), ts_traits(edited, "LandscapeTraits")) == [
        'mode: Python "line" | "plane" | "surface", TypeScript "line" | "plain" | "surface"'
    ]


def test_a_base_trait_is_checked_through_extends() -> None:
    python, sources = _tsne()
    edited = [s.replace("  stale: string;", "  stale: boolean;") for s in sources]
    assert mismatches(python, ts_traits(edited, "TSNETraits")) == ["stale: Python string, TypeScript boolean"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("number", Kind("number", False)),
        ("number | null", Kind("number", True)),
        ('"plane" | "line"', Kind("string", False, frozenset({"plane", "line"}))),
        ("string | null", Kind("string", True)),
        ("boolean", Kind("boolean", False)),
        ("number[][]", Kind("array", False)),
        ("[number, number]", Kind("array", False)),
        ("Binary<Float32Array>", Kind("binary", True)),
        ("Binary", Kind("binary", True)),
        ("Record<string, PackedEntry>", Kind("object", False)),
        ("LayerNode[]", Kind("array", False)),
    ],
)
def test_typescript_kinds_are_read(text: str, expected: Kind) -> None:
    assert ts_kind("t", text) == expected


def test_an_unknown_typescript_type_is_refused() -> None:
    with pytest.raises(ValueError, match="'t'"):
        ts_kind("t", "number | string")


def test_python_kinds_are_read() -> None:
    assert python_kind("a", traitlets.Float(None, allow_none=True)) == Kind("number", True)
    assert python_kind("b", traitlets.Enum(["x", "y"], "x")) == Kind("string", False, frozenset({"x", "y"}))
    assert Kind("string", False, frozenset({"x", "y"})).agrees(Kind("string", False))  # TS may say just `string`
    assert python_kind("c", Array()) == Kind("binary", True)
    assert python_kind("d", traitlets.List(traitlets.Dict())) == Kind("array", False)
    with pytest.raises(TypeError, match="'e'"):
        python_kind("e", traitlets.Any())
