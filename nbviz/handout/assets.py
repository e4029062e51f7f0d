"""The scripts a handout inlines, so the page renders from ``file://`` with the network off.

Three scripts make a static widget page work: require.js (npm ``requirejs``, MIT), the widget manager for
static pages (npm ``@jupyter-widgets/html-manager``'s ``embed-amd.js``, BSD-3-Clause; both copied into
``nbviz/static/vendor/`` by ``js/build.mjs``) and anywidget's AMD front end from the installed anywidget
package (``anywidget/nbextension/index.js``, MIT).

require.js is inlined as a plain ``<script>``. anywidget's front end is an *anonymous* AMD module, which must
be loaded by require.js itself: its text sits in a non-executed ``<script type="text/x-nbviz-amd">`` and a
small bootstrap hands require.js a ``blob:`` URL for it (``require.config({paths: {anywidget: blobUrl}})``;
require.js appends no ".js" to ``blob:`` paths). The widget manager asks require.js for the module first and
only falls back to a CDN when that fails. The widget manager (3.6 MB) travels gzipped and base64-encoded
(1.2 MB) in a ``<script type="text/x-nbviz-gzip">``; the bootstrap inflates it with the browser's
``DecompressionStream`` and runs it from a ``blob:`` URL; it renders the widgets once the page has loaded.
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import pathlib
import re

from .._static import VENDOR

__all__ = ["VENDOR", "amd_module_sources", "inline_script", "loader_html"]

_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_CLOSE_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)


def _read(path: pathlib.Path, how_to_fix: str) -> str:
    if not path.exists():
        raise FileNotFoundError(f"nbviz handouts need {path}, which is missing; {how_to_fix}")
    return path.read_text(encoding="utf-8")


def _vendor(name: str) -> str:
    return _read(VENDOR / name, "build the front end (`npm install && npm run build` in js/, or `pip install -e .`)")


def _anywidget_amd() -> str:
    import anywidget

    path = pathlib.Path(anywidget.__file__).resolve().parent / "nbextension" / "index.js"
    return _read(path, "reinstall anywidget (its pip package ships this AMD front end)")


def inline_script(source: str) -> str:
    """``source`` made safe as the text of an HTML ``<script>`` element.

    ``</script`` becomes ``<\\/script`` (the same code in strings, regular expressions and comments) and
    source-map comments are dropped (a browser would look for the map beside the page)."""
    if "<!--" in source:
        raise ValueError("inline_script: source contains '<!--', which can break out of a <script> element")
    return _CLOSE_SCRIPT.sub(r"<\\/\1", _SOURCE_MAP.sub("", source))


def amd_module_sources() -> dict[str, str]:
    """AMD modules (name → source) that require.js loads from ``blob:`` URLs instead of the network."""
    return {"anywidget": _anywidget_amd()}


_INFLATE = """\
(function () {
  var packed = document.getElementById("nbviz-embed-amd");
  if (typeof DecompressionStream === "undefined") {
    document.addEventListener("DOMContentLoaded", function () {
      var note = document.createElement("p");
      note.textContent = "This handout's interactive figures need a browser from 2023 or later (DecompressionStream).";
      document.body.prepend(note);
    });
    return;
  }
  var bytes = Uint8Array.from(atob(packed.textContent), function (c) { return c.charCodeAt(0); });
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  new Response(stream).blob().then(function (code) {
    var script = document.createElement("script");
    script.src = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    document.head.appendChild(script);
  });
})();"""

_BOOTSTRAP = """\
(function () {
  var paths = {};
  document.querySelectorAll('script[type="text/x-nbviz-amd"]').forEach(function (s) {
    paths[s.getAttribute("data-module")] = URL.createObjectURL(new Blob([s.textContent], { type: "text/javascript" }));
  });
  window.requirejs.config({ paths: paths });
})();"""


@functools.lru_cache(maxsize=4)
def _cached_loader(stamp: tuple[float, ...]) -> str:
    parts = ["<!-- nbviz handout: scripts inlined (require.js MIT; @jupyter-widgets/html-manager BSD-3-Clause; anywidget MIT) -->"]
    parts.append("<script>globalThis.nbvizHandout = true;</script>")
    parts.append(f"<script>{inline_script(_vendor('require.js'))}</script>")
    for name, source in amd_module_sources().items():
        parts.append(f'<script type="text/x-nbviz-amd" data-module="{html.escape(name)}">{inline_script(source)}</script>')
    parts.append(f"<script>{_BOOTSTRAP}</script>")
    manager = gzip.compress(_SOURCE_MAP.sub("", _vendor("embed-amd.js")).encode("utf-8"), compresslevel=9, mtime=0)
    parts.append(f'<script type="text/x-nbviz-gzip" id="nbviz-embed-amd">{base64.b64encode(manager).decode("ascii")}</script>')
    parts.append(f"<script>{_INFLATE}</script>")
    return "\n".join(parts)


def loader_html() -> str:
    """The ``<head>`` part of a handout: the handout flag, require.js, the AMD modules and the widget
    manager, all inline. The manager renders every widget view in the page once it has loaded."""
    import anywidget

    files = [VENDOR / "require.js", VENDOR / "embed-amd.js", pathlib.Path(anywidget.__file__)]
    return _cached_loader(tuple(f.stat().st_mtime if f.exists() else 0.0 for f in files))
