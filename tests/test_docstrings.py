"""Every public callable documents its parameters in numpydoc style, matching its signature.

The public callables are the functions and classes of ``nbviz.__all__``; for a name that is a module
(``datasets``, ``zoo``, ``render``, ``landscape``, ``featurevis``, ``handout``), the functions and classes of
that module's ``__all__``. For each one (a class: its ``__init__``):

- every parameter of the signature appears in the docstring's ``Parameters`` section and vice versa
  (a dataclass documents its fields there: they are its constructor's parameters);
- every documented parameter has a type, and a parameter with a default says so (``x : int, default 3``
  or ``x : int, optional``);
- a function that returns something has a ``Returns`` (or ``Yields``) section.

All failures are collected and reported at once. The docs build (Sphinx with numpydoc's validation,
``docs/conf.py``) checks the same sections; this test catches a drift in seconds, without Sphinx.
"""

from __future__ import annotations

import inspect
import types
import warnings
from collections.abc import Callable, Iterator

from numpydoc import docscrape  # the test extra and the docs extra bring numpydoc (docs/conf.py imports this module)

# Public names whose docstrings are being rewritten by other work in progress (issue 15); each entry
# is a qualified name that may fail this test for now (docs/conf.py also skips their validation).
# Clear an entry once its docstring is done.
PENDING: set[str] = set()  # empty: every public name's docstring is done (issue 15)


class ImportFailed:
    """Stands for a public name that could not be imported (its error is reported as its problem)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self) -> None:  # a callable, like the names it stands for
        raise self.error


def public_callables() -> Iterator[tuple[str, Callable]]:
    """Yield ``(qualified name, object)`` for every public function and class, each once."""
    import nbviz

    seen: set[int] = set()
    for name in nbviz.__all__:
        try:
            value = getattr(nbviz, name)
        except Exception as error:  # noqa: BLE001 -- reported as this name's problem, with the others
            yield f"nbviz.{name}", ImportFailed(error)
            continue
        if isinstance(value, types.ModuleType):
            members = [(f"nbviz.{name}.{member}", getattr(value, member)) for member in value.__all__]
        else:
            members = [(f"nbviz.{name}", value)]
        for qualified, obj in members:
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                yield qualified, obj


def public_methods(include_pending: bool = False) -> Iterator[tuple[str, Callable]]:
    """Yield ``(qualified name, function)`` for the public methods of the public classes, each once: methods
    defined in nbviz, inherited ones included (``Explorer.wait``). Classes and methods on the PENDING list
    are left out unless ``include_pending``."""
    seen: set[int] = set()
    for name, cls in public_callables():
        if not inspect.isclass(cls) or (name in PENDING and not include_pending):
            continue
        for klass in cls.__mro__:
            if not klass.__module__.startswith("nbviz."):
                continue
            for attribute, value in vars(klass).items():
                function = getattr(value, "__func__", value)  # classmethod / staticmethod
                if not attribute.startswith("_") and inspect.isfunction(function) and id(function) not in seen:
                    seen.add(id(function))
                    if include_pending or f"{name}.{attribute}" not in PENDING:
                        yield f"{name}.{attribute}", function


def _documented(section: list) -> dict[str, str]:
    """Parameter name → type text of a numpydoc section (``a, b : int`` documents both)."""
    names: dict[str, str] = {}
    for entry in section:
        if entry.name.startswith("**") and not entry.type:  # numpydoc parses "**kwargs" with no type as such
            names[entry.name.lstrip("*")] = "keyword arguments"
            continue
        for name in entry.name.split(","):
            names[name.strip().lstrip("*")] = entry.type.strip()
    return names


def _signature_of(obj: Callable, method: bool = False) -> inspect.Signature | None:
    target = obj.__init__ if inspect.isclass(obj) else obj  # type: ignore[misc]
    if inspect.isclass(obj) and target is object.__init__:
        return inspect.Signature()
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    parameters = list(signature.parameters.values())
    if (inspect.isclass(obj) or method) and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    return signature.replace(parameters=parameters)


def problems_of(obj: Callable, method: bool = False) -> list[str]:
    """What is wrong with one callable's docstring (empty: nothing); ``method``: ``self`` is not documented."""
    if isinstance(obj, ImportFailed):
        return [f"cannot be imported: {type(obj.error).__name__}: {obj.error}"]
    raw = inspect.getdoc(obj)
    if not raw:
        return ["no docstring"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns about unknown sections: a problem here
        try:
            doc = docscrape.NumpyDocString(raw)
        except Exception as error:  # noqa: BLE001 -- any parse failure is reported as this name's problem
            return [f"the docstring does not parse as numpydoc: {error}"]
    signature = _signature_of(obj, method)
    if signature is None:
        return ["no signature to check against"]
    documented = _documented(doc["Parameters"])
    out: list[str] = []
    wanted = {
        p.name: p for p in signature.parameters.values() if not (p.name.startswith("_") and p.kind == p.KEYWORD_ONLY)
    }
    missing = [name for name in wanted if name not in documented]
    extra = [name for name in documented if name not in wanted]
    if missing:
        out.append(f"parameters not documented: {', '.join(missing)}")
    if extra:
        out.append(f"documented but not in the signature: {', '.join(extra)}")
    for name, parameter in wanted.items():
        kind = documented.get(name)
        if kind is None:
            continue
        if not kind:
            out.append(f"{name}: no type (write `{name} : type`)")
        elif parameter.default is not parameter.empty and "default" not in kind and "optional" not in kind:
            out.append(f"{name}: has a default the docstring does not state (write `{name} : type, default ...`)")
    if not inspect.isclass(obj):
        returns = signature.return_annotation
        returns_nothing = returns in (None, "None", inspect.Signature.empty) and returns is not inspect.Signature.empty
        if not returns_nothing and not (doc["Returns"] or doc["Yields"]):
            out.append("no Returns section")
    return out


def test_the_public_surface_is_found():
    names = {name for name, _ in public_callables()}
    for expected in ("nbviz.saliency", "nbviz.TSNEExplorer", "nbviz.landscape.plane", "nbviz.featurevis.maximize"):
        assert expected in names
    assert len(names) > 40


def test_the_checker_finds_each_kind_of_problem():
    """The checker is not vacuous: each rule fires on a docstring that breaks it."""

    def good(a: int, b: str = "x") -> int:
        """Do.

        Parameters
        ----------
        a : int
            A.
        b : str, default "x"
            B.

        Returns
        -------
        int
            The answer.
        """
        return a

    def bad(a: int, b: str = "x", c: float = 1.0) -> int:
        """Do.

        Parameters
        ----------
        a
            A.
        b : str
            B.
        d : int
            Not a parameter.
        """
        return a

    class Thing:
        """A class documents its constructor's parameters; its methods do not document ``self``.

        Parameters
        ----------
        size : int
            Size.
        """

        def __init__(self, size: int, colour: str = "red") -> None:
            self.size = size

        def grow(self, by: int) -> None:
            """Grow.

            Parameters
            ----------
            by : int
                Amount.
            """

    assert problems_of(good) == []
    found = "\n".join(problems_of(bad))
    for fragment in ("not documented: c", "not in the signature: d", "a: no type", "b: has a default", "no Returns"):
        assert fragment in found
    assert problems_of(Thing) == ["parameters not documented: colour"]
    assert problems_of(Thing.grow, method=True) == []
    assert problems_of(Thing.grow) == ["parameters not documented: self"]


def test_every_public_callable_documents_its_parameters():
    failures: dict[str, list[str]] = {}
    for name, obj in public_callables():
        if name in PENDING:
            continue
        found = problems_of(obj)
        if found:
            module = getattr(obj, "__module__", "?")
            failures[f"{name} ({module})"] = found
    report = "\n".join(f"{name}:\n  - " + "\n  - ".join(found) for name, found in sorted(failures.items()))
    assert not failures, f"{len(failures)} public callables with numpydoc problems:\n{report}"


def test_the_api_reference_lists_every_public_callable():
    """Each public callable has an ``autofunction`` / ``autoclass`` entry in ``docs/api/*.rst``."""
    import pathlib
    import re

    import nbviz

    api = pathlib.Path(__file__).resolve().parents[1] / "docs" / "api"
    listed: set[str] = set()
    for page in api.glob("*.rst"):
        module = "nbviz"
        for line in page.read_text(encoding="utf-8").splitlines():
            if match := re.match(r"\.\. currentmodule:: (\S+)", line):
                module = match.group(1)
            elif match := re.match(r"\.\. auto(?:function|class):: (\S+)", line):
                target = match.group(1)
                listed.add(target if target.startswith("nbviz.") else f"{module}.{target}")
    missing = sorted(name for name, _ in public_callables() if name not in listed)
    assert not missing, f"not in docs/api/*.rst: {missing}"
    assert nbviz.__all__


def test_every_public_method_documents_its_parameters():
    """The same rules for the public methods of the public classes (``plot``, ``save_html``, ``wait``…)."""
    failures = {name: found for name, function in public_methods() if (found := problems_of(function, method=True))}
    report = "\n".join(f"{name}:\n  - " + "\n  - ".join(found) for name, found in sorted(failures.items()))
    assert not failures, f"{len(failures)} public methods with numpydoc problems:\n{report}"


def test_pending_names_are_still_public():
    """An allow-list entry that no longer names a public callable or method is stale: remove it."""
    names = {name for name, _ in public_callables()} | {name for name, _ in public_methods(include_pending=True)}
    assert PENDING <= names, sorted(PENDING - names)

