"""Real data: how much do a patient's blood measurements tell about age, sex, BMI and blood pressure?

scikit-learn's bundled diabetes data (442 patients, ten baseline variables, standardised): X is age,
sex, body-mass index and mean blood pressure; Y the six blood-serum measurements. I(X;Y) is how many
nats of information the body measures carry about the serum profile, whatever the form of the
dependence (linear or not). No truth is known here, so the figure sets fmmi's default beside the
Gaussian plug-in (CCA, which sees only linear dependence) and KSG. With 442 rows this is the
few-rows regime where a flow can learn its training rows: read the estimate together with its
interval and ``result.warnings``.

    python examples/real_data.py --out docs/gallery
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from _gallery import command_line, save
from sklearn.datasets import load_diabetes

import fmmi
from fmmi.estimators import KSG, GaussianMI


def main(out: Path, quick: bool = False) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    data = load_diabetes(as_frame=True).frame
    x = data[["age", "sex", "bmi", "bp"]]
    y = data[["s1", "s2", "s3", "s4", "s5", "s6"]]
    options = dict(steps=30, hidden=16, n_folds=3) if quick else {}
    # sex takes two values: spread them over their gap so that the MI of the data stays finite.
    flow = fmmi.estimate_mi(x, y, random_state=0, dequantize=True, **options)
    results = {
        "fmmi (default)": flow,
        "CCA (Gaussian)": GaussianMI(random_state=0).fit_estimate(x, y),
        "KSG (k = 5)": KSG().fit_estimate(x, y),
    }
    fig, ax = plt.subplots(figsize=(5.5, 3))
    for i, (name, result) in enumerate(results.items()):
        low, high = result.interval
        ax.errorbar([result.value], [i], xerr=[[result.value - low], [high - result.value]], fmt="o", capsize=4)
    ax.set_yticks(np.arange(len(results)), list(results))
    ax.set_ylim(-0.6, len(results) - 0.4)
    ax.set_xlabel("I(body measures; blood serum), nats (95% interval)")
    note = "fit check: warned" if flow.warnings else "fit check: no warning"
    ax.set_title(f"diabetes data, 442 patients; {note}", fontsize=10)
    return save(fig, out, "real_data")


if __name__ == "__main__":
    command_line(main, __doc__)
