"""Break nbviz on purpose, one break at a time, and check that the matching tests fail (issue 18).

    nice -n 10 python benchmarks/deliberate_breaks.py [NAME ...] [--keep DIR] [--list]

Each break is a literal text replacement in one source file, applied to a throw-away copy of the
checkout (benchmarks/_copy.py; the working tree is never touched); the break's test files then run in
that copy. A break is *caught* when at least one test fails. The script first checks that every
replacement still matches the source (a stale break would test nothing) and exits non-zero if any
break is not caught. ``--keep DIR`` keeps the broken copies (DIR/NAME) to investigate.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _copy import ROOT, copy_checkout, run_pytest


@dataclass(frozen=True)
class Break:
    """One deliberate break: in ``path`` replace ``old`` (must occur exactly once) by ``new``."""

    name: str
    what: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BREAKS = [
    Break(
        "gradcam-input-mean", "Grad-CAM returns the input's channel mean",
        "nbviz/attribution/cam.py",
        "    return cam(ctx, GradCam(), layer, interpolation=interpolation)\n",
        "    result = cam(ctx, GradCam(), layer, interpolation=interpolation)\n"
        "    result.maps = ctx.x.mean(1).detach().cpu().numpy()\n"
        "    return result\n",
        ("tests/test_attribution_cam.py",),
    ),
    Break(
        "occlusion-last-row", "occlusion skips the last row of windows",
        "nbviz/attribution/occlusion.py",
        "oy, ox = grid.origins(height, win[0], step[0]), ",
        "oy, ox = grid.origins(height, win[0], step[0])[:-1], ",
        ("tests/test_occlusion.py",),
    ),
    Break(
        "featurevis-no-transforms", "featurevis.maximize silently ignores its transforms (jitter, scale, rotate)",
        "nbviz/featurevis/maximize.py",
        "warp = RandomAffine(settings.transforms, seeds, shape[1:])",
        "warp = RandomAffine((), seeds, shape[1:])",
        ("tests/test_featurevis_maximize.py", "tests/test_featurevis_quality.py"),
    ),
    Break(
        "facets-random-clusters", "multifaceted uses random clusters instead of k-means",
        "nbviz/featurevis/multifaceted.py",
        "labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(embedded)",
        "labels = np.random.default_rng(seed).permutation(np.arange(n) % k)",
        ("tests/test_featurevis_multifaceted.py", "tests/test_featurevis_quality.py"),
    ),
    Break(
        "approximate-occlusion-uncorrected", "approximate occlusion without its residual correction and refinement",
        "nbviz/attribution/occlusion.py",
        "            estimate = linear + correction\n",
        "            estimate = linear\n            spread = np.zeros_like(spread)\n",
        ("tests/test_occlusion_incremental.py", "tests/test_occlusion_quality.py"),
    ),
    Break(
        "tsne-final-momentum", "t-SNE final momentum 0.8 → 0.6",
        "nbviz/embedding/session.py",
        "FINAL_MOMENTUM = 0.8",
        "FINAL_MOMENTUM = 0.6",
        ("tests/test_embedding_tsne.py", "tests/test_embedding_trajectory.py"),
    ),
]

# the interpolation rule of approximate occlusion (used where the linearisation misfits) is part of
# the same break: no refinement after interpolating from the even rows and columns
EXTRA = {
    "approximate-occlusion-uncorrected": [
        ("nbviz/attribution/occlusion.py",
         "level = np.sort(ranked[: int(round(APPROXIMATE_REFINE * len(level)))])",
         "level = level[:0]"),
    ],
}


def edits(b: Break) -> list[tuple[str, str, str]]:
    return [(b.path, b.old, b.new), *EXTRA.get(b.name, [])]


def check_applies(b: Break) -> None:
    for path, old, _ in edits(b):
        count = (ROOT / path).read_text().count(old)
        if count != 1:
            sys.exit(f"{b.name}: expected the text to break once in {path}, found it {count} times: {old!r}")


def apply(b: Break, where: Path) -> None:
    for path, old, new in edits(b):
        file = where / path
        file.write_text(file.read_text().replace(old, new))


def summary(output: str) -> tuple[int, int, list[str]]:
    """(failed, passed, names of failed tests) from pytest's ``-q`` output."""
    failed = sorted(set(re.findall(r"^FAILED (\S+)", output, re.M)))
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (failed|passed|errors?)", output)}
    return counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0), counts.get("passed", 0), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="breaks to apply (default: all)")
    parser.add_argument("--keep", type=Path, help="keep the broken copies in DIR/NAME")
    parser.add_argument("--list", action="store_true", help="list the breaks and exit")
    args = parser.parse_args()
    chosen = [b for b in BREAKS if not args.names or b.name in args.names]
    if args.list or not chosen:
        for b in BREAKS:
            print(f"{b.name:36s} {b.what}  [{', '.join(b.tests)}]")
        return
    for b in chosen:
        check_applies(b)
    missed = []
    for b in chosen:
        where = args.keep / b.name if args.keep else Path(tempfile.mkdtemp(prefix=f"nbviz-break-{b.name}-"))
        try:
            copy_checkout(where)
            apply(b, where)
            run = run_pytest(where, list(b.tests))
            failed, passed, names = summary(run.stdout)
            verdict = "caught" if failed else "NOT CAUGHT"
            print(f"{b.what}: {verdict} ({failed} of {failed + passed} fail)")
            for name in names:
                print(f"    {name}")
            if not failed:
                missed.append(b.name)
                if run.returncode not in (0, 1):
                    print(run.stdout[-2000:], run.stderr[-2000:])
        finally:
            if not args.keep:
                shutil.rmtree(where, ignore_errors=True)
    if missed:
        sys.exit(f"not caught: {', '.join(missed)}")


if __name__ == "__main__":
    main()
