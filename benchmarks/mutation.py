"""Mutation testing of one compute package with mutmut, in a throw-away copy of the checkout.

    nice -n 10 python benchmarks/mutation.py PACKAGE [--sample N] [--seed S] [--keep DIR]

PACKAGE is one of ``layers``, ``attribution``, ``embedding``, ``landscape``, ``featurevis`` or
``guard`` (``nbviz/_guard.py`` + ``nbviz/_shadow.py``). The working tree is never touched: nbviz/,
tests/ and pyproject.toml are copied to a temporary folder, the copy's ``[tool.mutmut]`` section is
narrowed to PACKAGE and the test files that cover it (``PACKAGES`` below), and mutmut runs there
(``mutmut run``: generate mutants, map tests to functions, then per mutant run only the tests that
reach the mutated function, one worker).

A whole package is thousands of mutants (hours on two cores), so by default a seeded random sample of
``--sample`` mutants (default 60) is tested and the score is stated as a sample: killed / (killed +
survived), with a 95 % Wilson interval. Mutants that no selected test reaches ("no tests") count as
survivors: an untested function is a hole. Timeouts count as killed (the test noticed). Survivors
are listed with their names; ``mutmut show NAME`` inside ``--keep DIR`` prints the diff.

Some packages' test files are slow to set up (resnet18 against Captum, a t-SNE of all 1,797 digits),
so ``SELECT`` narrows them with a ``-k`` expression (the tests named are left out; every other test
of those files runs). ``--tests "ARGS"`` replaces the files and selection of PACKAGE with any pytest
arguments, e.g. ``--tests "tests/test_occlusion.py -k 'not captum'"``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _copy import ROOT, copy_checkout, quiet_env

# package → (source globs to mutate, test files that check it: fast unit tests only, no widgets)
PACKAGES: dict[str, tuple[list[str], list[str]]] = {
    "layers": (["nbviz/layers/*"], ["tests/test_layers_capture.py", "tests/test_layers_filters.py",
                                    "tests/test_layers_receptive_field.py", "tests/test_layers_stats.py",
                                    "tests/test_layers_top.py", "tests/test_layers_tree.py", "tests/test_layers_guard.py"]),
    "attribution": (["nbviz/attribution/*"], ["tests/test_attribution_cam.py", "tests/test_attribution_gradients.py",
                                              "tests/test_attribution_scoring.py",
                                              "tests/test_attribution_targets.py", "tests/test_attribution_guard.py", "tests/test_occlusion.py",
                                              "tests/test_occlusion_incremental.py", "tests/test_occlusion_quality.py",
                                              "tests/test_attention.py", "tests/test_attribution_non_images.py",
                                              "tests/test_attribution_progress.py"]),
    "embedding": (["nbviz/embedding/*"], ["tests/test_embedding_features.py", "tests/test_embedding_grid.py", "tests/test_embedding_quality.py",
                                          "tests/test_embedding_session.py", "tests/test_embedding_tsne.py", "tests/test_embedding_trajectory.py",
                                          "tests/test_embedding_session_settings.py", "tests/test_embedding_sklearn_engine.py",
                                          "tests/test_embedding_init_and_progress.py"]),
    "landscape": (["nbviz/landscape/*"], ["tests/test_landscape_guard.py", "tests/test_landscape_line.py", "tests/test_landscape_plane.py",
                                          "tests/test_landscape_reuse.py", "tests/test_landscape_trajectory.py"]),
    "featurevis": (["nbviz/featurevis/*"], ["tests/test_featurevis_guard.py", "tests/test_featurevis_invert.py",
                                            "tests/test_featurevis_maximize.py", "tests/test_featurevis_multifaceted.py",
                                            "tests/test_featurevis_parts.py", "tests/test_featurevis_quality.py"]),
    "guard": (["nbviz/_guard.py", "nbviz/_shadow.py"], ["tests/test_guard.py", "tests/test_shadow.py",
                                                       "tests/test_layers_guard.py", "tests/test_attribution_guard.py",
                                                       "tests/test_featurevis_guard.py", "tests/test_landscape_guard.py"]),
}

# package → extra pytest arguments that leave out slow tests (their setup, not their checks, is slow)
SELECT: dict[str, list[str]] = {
    # resnet18 (weights=None) against Captum / pytorch-grad-cam: the same checks run on small_cnn
    "attribution": ["-k", "not resnet18 and not default_layer_is_the_last_spatial_module and not cam_batches_agree_with_one_pass"],
    # full_runs: ours and openTSNE on all 1,797 digits (≈ 14 s of setup); frame-by-frame checks on 300-400 digits stay
    "embedding": ["-k", "not final_kl_matches_opentsne and not trustworthiness_matches_opentsne and not result_layout"],
}

KILLED, SURVIVED, NO_TESTS, TIMEOUT = "killed", "survived", "no tests", "timeout"
NO_MUTANT = "no_such_mutant__mutmut_0"  # a name that matches nothing: mutmut generates and maps, then stops


def mutmut_section(sources: list[str], tests: list[str]) -> str:
    """The ``[tool.mutmut]`` TOML for one package (written into the temporary copy only)."""
    return (
        "[tool.mutmut]\n"
        'source_paths = ["nbviz"]\n'
        f"only_mutate = {json.dumps(sources)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"]\n'
    )


def mutmut(where: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m mutmut ARGS`` inside the copy; mutmut's own exit code is not the result (the
    mutants' exit codes in mutants/**/*.meta are)."""
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=where, env=quiet_env(), capture_output=True, text=True)


def mutant_results(where: Path) -> dict[str, int | None]:
    """Every generated mutant's name → mutmut's exit code (None: not run yet), from mutants/**/*.meta."""
    results: dict[str, int | None] = {}
    for meta in (where / "mutants").rglob("*.meta"):
        results.update(json.loads(meta.read_text())["exit_code_by_key"])
    return results


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k/n (sampling error of the sampled score)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("package", choices=sorted(PACKAGES))
    parser.add_argument("--sample", type=int, default=60, help="mutants to test, drawn at random (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (default: a temp folder, removed)")
    parser.add_argument("--tests", help="pytest arguments (files, -k, -m) replacing PACKAGE's test files and selection")
    args = parser.parse_args()

    where = args.keep or Path(tempfile.mkdtemp(prefix=f"nbviz-mutation-{args.package}-"))
    if not (where / "pyproject.toml").exists():
        sources, tests = PACKAGES[args.package]
        tests = [t for t in tests if (ROOT / t).exists()] + SELECT.get(args.package, [])
        if args.tests:
            tests = shlex.split(args.tests)
        print(f"{args.package}: tests {shlex.join(tests)}", flush=True)
        copy_checkout(where, mutmut_section(sources, tests), drop_section="tool.mutmut")
    try:
        setup = mutmut(where, "run", "--max-children", "1", NO_MUTANT)  # generate + map tests, then stop
        names = sorted(mutant_results(where))
        if not names:
            sys.exit(f"mutmut generated no mutants in {where}:\n{setup.stdout[-3000:]}\n{setup.stderr[-3000:]}")
        chosen = names if args.sample <= 0 or args.sample >= len(names) else sorted(random.Random(args.seed).sample(names, args.sample))
        run = mutmut(where, "run", "--max-children", "1", *chosen)
        from mutmut.stats import status_by_exit_code  # mutmut's own reading of a mutant's exit code

        codes = mutant_results(where)
        if all(codes[name] is None for name in chosen):
            sys.exit(f"mutmut ran no mutant (did the clean test run fail?):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        status = {name: status_by_exit_code[codes[name]] for name in chosen}
        killed = sum(s in (KILLED, TIMEOUT) for s in status.values())
        alive = [n for n, s in status.items() if s in (SURVIVED, NO_TESTS)]
        other = {n: s for n, s in status.items() if s not in (KILLED, TIMEOUT, SURVIVED, NO_TESTS)}
        n = killed + len(alive)
        lo, hi = wilson(killed, n)
        sampled = (f"a random sample of {len(chosen)} of {len(names)} mutants (seed {args.seed})"
                   if len(chosen) < len(names) else f"all {len(names)} mutants")
        print(f"{args.package}: mutation score {killed}/{n} = {killed / max(n, 1):.0%} (95 % interval {lo:.0%}–{hi:.0%}) on {sampled}")
        for name in alive:
            print(f"  {status[name]:9s} {name}")
        for name, s in other.items():
            print(f"  {s:9s} {name} (not counted)")
    finally:
        if args.keep is None:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
