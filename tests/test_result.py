import math

import pytest

from fmmi.result import MIResult


def make(**kwargs):
    return MIResult.from_mean(1.0, 0.1, n_train=10, n_eval=10, n_mc=10, **kwargs)


def test_interval_and_float():
    result = make()
    low, high = result.interval
    assert low < 1.0 < high
    assert high - 1.0 == pytest.approx(1.96 * 0.1, rel=1e-3)
    assert float(result) == 1.0


def test_frozen():
    with pytest.raises(AttributeError):
        make().value = 2.0


def test_bits_round_trip():
    bits = make().to("bits")
    assert bits.unit == "bits"
    assert bits.value == pytest.approx(1 / math.log(2))
    assert bits.to("nats").value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unit"):
        make().to("hartleys")


def test_str_and_dict():
    result = make()
    assert "nats" in str(result) and "monte_carlo" in str(result)
    record = result.as_dict()
    assert record["value"] == 1.0 and record["interval"] == list(result.interval)
