import numpy as np
import pytest
import torch

from fmmi._checks import (
    as_matrix,
    check_pair,
    fast_bfloat16,
    location_scale,
    make_generator,
    resolve_device,
    resolve_mixed_precision,
)


def test_one_dimensional_input_becomes_one_column():
    assert as_matrix([1.0, 2.0, 3.0], "x").shape == (3, 1)


@pytest.mark.parametrize(
    "data",
    [
        np.arange(6.0).reshape(3, 2),
        torch.arange(6.0).reshape(3, 2),
        torch.arange(6.0, requires_grad=True).reshape(3, 2),
        [[0, 1], [2, 3], [4, 5]],
        np.array([[True, False], [False, True], [True, True]]),
    ],
)
def test_accepted_inputs(data):
    array = as_matrix(data, "x")
    assert array.shape == (3, 2) and array.dtype == np.float64


def test_pandas_dataframe_and_series():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1, 2, 4]})
    assert as_matrix(frame, "x").shape == (3, 2)
    assert as_matrix(frame["a"], "x").shape == (3, 1)


def test_pandas_non_numeric_columns_are_refused():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0], "name": ["u", "v"]})
    with pytest.raises(TypeError, match="non-numeric"):
        as_matrix(frame, "x")


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (np.zeros((3, 2, 2)), ValueError, "3 axes"),
        (np.array([[1.0, np.nan]]), ValueError, "NaN or infinite"),
        (np.array([[1.0, np.inf]]), ValueError, "NaN or infinite"),
        (np.array(["a", "b"]), TypeError, "must hold numbers"),
        (np.array([object(), object()]), TypeError, "must hold numbers"),
        (np.zeros((0, 2)), ValueError, "no rows"),
        (np.zeros((3, 0)), ValueError, "no columns"),
        ([[1.0, 2.0], [3.0]], ValueError, "rectangular"),
    ],
)
def test_bad_inputs_name_the_problem(data, error, message):
    with pytest.raises(error, match=message):
        as_matrix(data, "x")


def test_different_row_counts():
    with pytest.raises(ValueError, match="same number of rows, got 3 and 4"):
        check_pair(np.zeros(3), np.zeros(4))


def test_generator_from_seed_is_repeatable():
    a, seed_a = make_generator(5)
    b, _ = make_generator(5)
    assert seed_a == 5
    assert torch.equal(torch.rand(4, generator=a), torch.rand(4, generator=b))


def test_fresh_seed_is_reported():
    _, seed = make_generator(None)
    assert isinstance(seed, int) and seed >= 0


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_bad_random_state(bad):
    with pytest.raises((TypeError, ValueError), match="random_state"):
        make_generator(bad)


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="not a valid torch device"):
        resolve_device("nonsense")


def test_resolve_mixed_precision():
    cpu = torch.device("cpu")
    assert resolve_mixed_precision(True, cpu, torch.float32) is True
    assert resolve_mixed_precision(False, cpu, torch.float32) is False
    # "auto" follows the hardware, and never switches a float64 run to bfloat16.
    assert resolve_mixed_precision("auto", cpu, torch.float32) is fast_bfloat16(cpu)
    assert resolve_mixed_precision("auto", cpu, torch.float64) is False
    for bad in ("yes", 1, None):
        with pytest.raises(ValueError, match="mixed_precision"):
            resolve_mixed_precision(bad, cpu, torch.float32)


def test_fast_bfloat16_reads_the_cpu_flags():
    import pathlib

    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo to compare with")
    flags = set(cpuinfo.read_text().split())
    assert fast_bfloat16(torch.device("cpu")) == bool(flags & {"avx512_bf16", "amx_tile"})


def test_a_column_in_both_x_and_y_is_refused():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.column_stack([rng.normal(size=200), x[:, 2]])
    with pytest.raises(ValueError, match="x column 2 and y column 1 are the same values"):
        check_pair(x, y)
    # Discrete copies (labels on both sides, for dequantize=True) and constants are left to their own checks.
    labels = rng.integers(0, 3, size=(200, 1)).astype(float)
    check_pair(np.hstack([x, labels]), labels)
    check_pair(np.hstack([x, np.ones((200, 1))]), np.ones((200, 1)))
    # Equal sums alone are not equal columns.
    check_pair(x[:, :1], x[::-1, :1])


def test_location_scale_of_huge_values_is_finite():
    data = np.array([[1.4e154, -1e300], [0.0, 1e300], [1.4e154, 0.0]])
    mean, scale = location_scale(data)
    np.testing.assert_allclose(mean, [2.8e154 / 3, 0.0], atol=1e-300)
    np.testing.assert_allclose(scale, [np.sqrt(2) / 3 * 1.4e154, np.sqrt(2 / 3) * 1e300])
