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
python benchmarks/throughput.py --device cuda
