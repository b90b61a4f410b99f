"""Every gallery example runs end to end at tiny settings and draws its figure; the gallery shows them all."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_example_draws_its_figure(path, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.syspath_prepend(str(path.parent))  # as when the script runs: its folder is on the path
    if path.stem == "real_data":
        pytest.importorskip("sklearn")
    figure = load(path).main(tmp_path, quick=True)
    assert figure.exists() and figure.suffix == ".png" and figure.stat().st_size > 10_000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_gallery_shows_every_example_with_its_committed_figure():
    assert len(EXAMPLES) >= 6
    page = (ROOT / "docs" / "gallery.md").read_text()
    for path in EXAMPLES:
        assert f"examples/{path.name}" in page, f"docs/gallery.md does not show {path.name}"
        figure = "seed_experiment/convergence.png" if path.stem == "seed_experiment" else f"{path.stem}.png"
        assert (ROOT / "docs" / "gallery" / figure).exists(), f"the full-size figure of {path.name} is not committed"
