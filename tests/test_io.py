import numpy as np
import pytest

from fmmi.io import Table, atomic_write_text, load_table, select_columns


def test_npy_round_trip(tmp_path):
    data = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "a.npy", data)
    np.testing.assert_array_equal(load_table(tmp_path / "a.npy").data, data)
    np.save(tmp_path / "v.npy", np.arange(5))
    assert load_table(tmp_path / "v.npy").data.shape == (5, 1)


def test_npz_keys(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((3, 2)), y=np.ones(3))
    assert load_table(tmp_path / "a.npz", key="y").data.shape == (3, 1)
    with pytest.raises(ValueError, match="choose one"):
        load_table(tmp_path / "a.npz")
    with pytest.raises(ValueError, match="no array 'z'"):
        load_table(tmp_path / "a.npz", key="z")


def test_pickled_arrays_are_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="unpickling"):
        load_table(tmp_path / "o.npy")


def test_csv_with_header(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")
    table = load_table(tmp_path / "d.csv")
    assert table.names == ["a", "b", "c"]
    np.testing.assert_array_equal(select_columns(table, "c,a", "--x"), [[3, 1], [6, 4]])


def test_csv_without_header(tmp_path):
    (tmp_path / "d.csv").write_text("1,2\n3,4\n\n")
    table = load_table(tmp_path / "d.csv")
    assert table.names is None and table.data.shape == (2, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n3,x\n", "line 3: 'x' is not a number"),
        ("1,2\n3\n", "line 2: expected 2 fields, found 1"),
        ("a,b\n", "no data rows"),
    ],
)
def test_csv_errors_name_the_line(tmp_path, text, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_table(tmp_path / "bad.csv")


def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_table(tmp_path / "missing.npy")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_table(tmp_path)
    (tmp_path / "data.txt").write_text("1 2")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_table(tmp_path / "data.txt")
    (tmp_path / "broken.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="not a valid"):
        load_table(tmp_path / "broken.npy")


@pytest.mark.parametrize(
    ("spec", "columns"),
    [("0", [0]), ("1:3", [1, 2]), (":2", [0, 1]), ("-1", [3]), ("0,2:4", [0, 2, 3])],
)
def test_select_columns(spec, columns):
    table = Table(np.arange(8.0).reshape(2, 4))
    np.testing.assert_array_equal(select_columns(table, spec, "--x"), table.data[:, columns])


@pytest.mark.parametrize(
    ("spec", "message"), [("4", "out of range"), ("a", "no column 'a'"), ("3:1", "selects no"), ("0,", "empty")]
)
def test_select_columns_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        select_columns(Table(np.zeros((2, 4))), spec, "--x")


def test_atomic_write_leaves_no_temporary(tmp_path):
    atomic_write_text(tmp_path / "r.json", "{}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    assert (tmp_path / "r.json").read_text() == "{}\n"
