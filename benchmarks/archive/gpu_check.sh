#!/usr/bin/env bash
# Checks for a machine with a GPU (run from the repository root, venv active):
# the device option is honoured, a short estimate runs on CUDA, throughput.
set -euo pipefail
python - <<'PY'
import torch, fmmi
from fmmi.distributions import CorrelatedGaussian
assert torch.cuda.is_available(), "no CUDA device visible"
x, y = CorrelatedGaussian.from_mi(2.0).sample(20000, random_state=0)
est = fmmi.FMMI(device="cuda", interval="monte_carlo", random_state=0)
r = est.fit_estimate(x, y)
assert next(est.net_.parameters()).device.type == "cuda"
print(f"cuda estimate {r.value:.4f} ± {r.stderr:.4f} nats (true 2.0) in {r.seconds:.1f} s")
PY
python benchmarks/archive/throughput.py --device cuda
# The benchmark runner on the GPU: one BMI task with the default (five trainings), 4 workers sharing
# the device; the record says the device and the seconds (compare with about 450 s per task on 2 CPU cores).
out=$(mktemp -d)
fmmi bench --tasks multinormal-dense-5-5-0.5,1v1-normal-0.75 --estimators fmmi,fmmi-mc --seeds 0,1 \
    --jobs 4 --device cuda --out "$out" --no-progress
python -c "import json,sys; [print(r['task_id'], r['estimator'], r['seed'], r['device'], round(r['seconds'], 1), r.get('estimate'), r['true_mi']) for r in map(json.loads, open(sys.argv[1]))]" "$out/runs.jsonl"
