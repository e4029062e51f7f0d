"""`import nbviz` vs `import torch`, each in fresh interpreters (median of N). Target: ≤ 1.25×."""

import argparse
import statistics
import subprocess
import sys


def cold_import(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    torch_times, nbviz_times = [], []
    for _ in range(runs):  # interleaved, so machine load hits both alike
        torch_times.append(cold_import("import torch"))
        nbviz_times.append(cold_import("import nbviz, nbviz.zoo, nbviz.datasets"))
    t, n = statistics.median(torch_times), statistics.median(nbviz_times)
    print(f"import torch: {t:.2f} s   import nbviz (+ zoo, datasets): {n:.2f} s   ratio {n / t:.2f}× (target ≤ 1.25×)")


if __name__ == "__main__":
    main()
