"""What one record of the held-out loss curve costs (the fit check's `fmmi.training.LossCurve`).

    OMP_NUM_THREADS=1 python benchmarks/archive/curve_cost.py

Per task (BMI's dense 5 x 5 and 50 x 50 Gaussians, 10,000 rows, seed 0): a
200-step `FMMI` fit (one split), then ten calls of its curve's loss function
(4,096 held-out rows, one draw each); prints the seconds per record and for
the 11 records of a 10,000-step training.
"""

import time

from fmmi import FMMI
from fmmi.benchmark.tasks import get_task

for task_id in ["multinormal-dense-5-5-0.5", "multinormal-dense-50-50-0.5"]:
    x, y = get_task(task_id).sample(10000, 0)
    est = FMMI(steps=200, interval="monte_carlo", random_state=0, device="cpu")
    est.fit_estimate(x, y)
    (curve,) = est.loss_curves_[0]
    start = time.perf_counter()
    for _ in range(10):
        curve.losses()
    per_record = (time.perf_counter() - start) / 10
    print(f"{task_id}: {per_record:.3f} s per record of {curve.values[0].size} rows, {11 * per_record:.2f} s for 11")
