"""Property-based tests (hypothesis): the validation layer and the file readers
either return valid data or raise their documented errors, whatever they get."""

import io
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fmmi import MIResult, estimate_mi
from fmmi._checks import as_matrix
from fmmi.io import load_table

DTYPES = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_, np.complex128, "U3", object]
)


@st.composite
def arrays(draw, max_rows=40):
    dtype = np.dtype(draw(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=max_rows))
    if dtype.kind == "O":
        return np.array([draw(st.one_of(st.floats(), st.text(max_size=2))) for _ in range(3)], dtype=object)
    elements = None
    if dtype.kind == "f":
        elements = st.floats(width=dtype.itemsize * 8)  # NaN, infinities, subnormals, huge values
    return draw(hnp.arrays(dtype, shape, elements=elements))


def _valid(array):
    return array.ndim == 2 and min(array.shape) > 0 and array.dtype == np.float64 and np.isfinite(array).all()


@settings(max_examples=300, deadline=None)
@given(arrays())
def test_as_matrix_returns_finite_float_matrices_or_raises_documented_errors(data):
    try:
        out = as_matrix(data, "x")
    except (TypeError, ValueError) as error:
        assert "x" in str(error)
        return
    assert _valid(out)


def _check_tiny_estimate(x, y, **options):
    """A few-step estimate: a finite MIResult, or one of the documented errors.

    FloatingPointError is the documented error of a training run that diverges
    (`fmmi.exceptions.TrainingDivergedError`) or of a non-finite divergence.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = estimate_mi(x, y, hidden=8, steps=3, n_time=2, random_state=0, device="cpu", **options)
    except (TypeError, ValueError, FloatingPointError) as error:
        assert str(error)
        return
    assert isinstance(result, MIResult)
    assert np.isfinite(result.value) and np.isfinite(result.stderr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(max_rows=60), arrays(max_rows=60), st.booleans())
def test_estimate_mi_returns_a_finite_estimate_or_a_documented_error(x, y, gaussianize):
    _check_tiny_estimate(x, y, interval="monte_carlo", gaussianize=gaussianize)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrays(max_rows=8), st.sampled_from([".npy", ".npz", ".csv"]), st.binary(max_size=64), st.booleans())
def test_readers_return_numbers_or_raise_value_errors(tmp_path, data, suffix, junk, corrupt):
    """Well-formed files of any dtype or shape, and corrupted ones (right magic, junk after)."""
    path = tmp_path / f"f{suffix}"
    if suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, data, allow_pickle=True)
        content = buffer.getvalue()
    elif suffix == ".npz":
        buffer = io.BytesIO()
        np.savez(buffer, a=data)
        content = buffer.getvalue()
    else:
        content = "\n".join(",".join(map(str, np.atleast_1d(row).ravel())) for row in np.atleast_1d(data)).encode()
    if corrupt:
        content = content[: len(content) // 2] + junk
    path.write_bytes(content)
    try:
        table = load_table(path)
    except ValueError as error:
        assert str(path) in str(error)
        return
    assert table.data.ndim == 2 and table.data.dtype == np.float64


@pytest.mark.parametrize("text", ["1,2\n3\n", "1,2\n3,x\n", "a,b\n1,2\n3,4,5\n"])
def test_csv_errors_name_the_line(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"line \d"):
        load_table(path)


@st.composite
def paired_floats(draw):
    n = draw(st.integers(0, 60))
    elements = st.one_of(st.floats(), st.floats(-1e3, 1e3), st.sampled_from([0.0, 1.0]))
    x = draw(hnp.arrays(np.float64, (n, draw(st.integers(1, 3))), elements=elements))
    y = draw(hnp.arrays(np.float64, (n, draw(st.integers(1, 3))), elements=elements))
    return x, y


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paired_floats(), st.booleans(), st.sampled_from(["monte_carlo", "crossfit"]))
def test_estimate_mi_on_any_float_matrices(xy, gaussianize, interval):
    """Same rows on both sides, any float values (NaN, ±inf, ±1e308, ties, constants)."""
    x, y = xy
    _check_tiny_estimate(x, y, n_folds=2, interval=interval, gaussianize=gaussianize)
