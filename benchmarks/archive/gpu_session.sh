#!/usr/bin/env bash
# One lease of a GPU machine, as run on 2026-12-04 (`run` tool; OUT is the folder that comes back).
# 1. the machine and the versions; 2. training and estimation throughput on a quiet GPU;
# 3. the test suite on CUDA (device="auto" takes the GPU) beside 4. the default on bmi at 10,000 rows,
# seed 0, 12 workers sharing the GPU, until the time is up (records of finished runs only).
# DEV=cpu and short LIMIT_S try the script on a machine without a GPU. The tests did not finish beside the
# sweep (71% passed, none failed, in 445 s); a second call ran them alone, as the last line here does.
# Results: docs/scaling.md ("On one H200") and benchmarks/archive/results/gpu_2026-12-04/.
set -u
DEV=${DEV:-cuda}
LIMIT_S=${LIMIT_S:-530}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
OUT=${OUT:-/tmp/gpu_session_out}
mkdir -p "$OUT/b10k"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true
  python3 -c "import torch, numpy, scipy; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'numpy', numpy.__version__, 'scipy', scipy.__version__)"
  python3 -m pip install -q --no-deps --no-build-isolation --no-index -e . 2>&1 | tail -3
  python3 -c "import fmmi; print('fmmi from', fmmi.__file__)"; } > "$OUT/env.txt" 2>&1
python3 -c "import fmmi" 2>/dev/null || export PYTHONPATH=$PWD/src
timeout 90 python3 benchmarks/archive/throughput.py --device "$DEV" --steps 1000 > "$OUT/throughput.jsonl" 2>&1
left=$((LIMIT_S - SECONDS))
timeout $((left - 10)) python3 -m fmmi bench --suite bmi --estimators fmmi-default --n 10000 --seeds 0 \
    --jobs 12 --device "$DEV" --out "$OUT/b10k" --no-progress > "$OUT/bench.log" 2>&1 &
timeout $((left > 420 ? 400 : left - 20)) python3 -m pytest -q --maxfail=25 -n 4 -p no:cacheprovider --timeout 240 \
    > "$OUT/pytest.log" 2>&1
echo "pytest rc $? at ${SECONDS}s" >> "$OUT/pytest.log"
wait
echo "done at ${SECONDS}s"; tail -3 "$OUT/pytest.log"; wc -l "$OUT/b10k/runs.jsonl" 2>/dev/null; cat "$OUT/throughput.jsonl"
# The second call, the whole suite on the GPU alone:
#   export PYTHONPATH=$PWD/src OMP_NUM_THREADS=1; python3 -m pytest -q -n 14 -p no:benchmark --timeout 150 -rfE
