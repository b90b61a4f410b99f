"""Peak memory of `fmmi.streaming.estimate_mi_streaming` on a pair of .npy files far larger than memory.

    python benchmarks/archive/stream_memory.py --gib 8 --limit-mib 1024 --folder /tmp

Writes X and Y (float32, 16 columns each, Y = X + noise per coordinate, so the
true MI is known) totalling ``--gib`` GiB, checks the free disk space first,
runs the estimate in a child process whose data segment is capped at
``--limit-mib`` (RLIMIT_DATA), prints the estimate, the child's peak resident
memory and the time, and deletes the files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHILD = """
import json, resource, sys, time
limit = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
def peak_mib():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
from fmmi.streaming import estimate_mi_streaming
start = time.perf_counter()
r = estimate_mi_streaming(sys.argv[2], sys.argv[3], hidden=128, steps=1000, lr=3e-3, n_mc=20000, n_time=16,
                          random_state=0, device="cpu")
print(json.dumps({"estimate": r.value, "stderr": r.stderr, "n_train": r.n_train, "seconds": time.perf_counter() - start,
                  "peak_rss_mib": peak_mib()}))
"""

DIM, RHO = 16, 0.6


def write(folder: Path, gib: float) -> tuple[Path, Path, int]:
    n = int(gib * 2**30 / 2 / (DIM * 4))
    paths = folder / "stream_x.npy", folder / "stream_y.npy"
    x = np.lib.format.open_memmap(paths[0], mode="w+", dtype=np.float32, shape=(n, DIM))
    y = np.lib.format.open_memmap(paths[1], mode="w+", dtype=np.float32, shape=(n, DIM))
    rng = np.random.default_rng(0)
    step = 1 << 20
    for start in range(0, n, step):
        m = min(step, n - start)
        a = rng.standard_normal((m, DIM), dtype=np.float32)
        x[start : start + m] = a
        y[start : start + m] = RHO * a + np.sqrt(1 - RHO**2) * rng.standard_normal((m, DIM), dtype=np.float32)
    x.flush()
    y.flush()
    del x, y
    return *paths, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=8.0, help="total size of the two files")
    parser.add_argument("--limit-mib", type=int, default=1024, help="RLIMIT_DATA of the estimating process")
    parser.add_argument("--folder", default="/tmp")
    args = parser.parse_args()
    folder = Path(args.folder)
    free = shutil.disk_usage(folder).free / 2**30
    if free < args.gib * 1.2:
        sys.exit(f"only {free:.1f} GiB free in {folder}; need {args.gib * 1.2:.1f}")
    start = time.perf_counter()
    x_path, y_path, n = write(folder, args.gib)
    written = time.perf_counter() - start
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(args.limit_mib), str(x_path), str(y_path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        x_path.unlink(missing_ok=True)
        y_path.unlink(missing_ok=True)
    record = json.loads(out.strip().splitlines()[-1])
    truth = -0.5 * DIM * np.log(1 - RHO**2)
    record.update(files_gib=args.gib, rows=n, limit_mib=args.limit_mib, true_mi=truth, write_seconds=written)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
