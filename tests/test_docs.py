"""Every public name has a docstring and a place in the API reference (docs/api.md)."""

import inspect
from pathlib import Path

import pytest

import fmmi
from fmmi import config, curves, estimators, exceptions

API = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
# Modules the reference documents whole (every public member on one page section).
WHOLE = {
    "fmmi.config": config,
    "fmmi.curves": curves,
    "fmmi.exceptions": exceptions,
    "fmmi.distributions": fmmi.distributions,
}


def documented(module: str, name: str) -> bool:
    obj = getattr(__import__(module, fromlist=[name]), name)
    owner = f"{module}.{name}"
    if inspect.ismodule(obj):
        return f"::: {obj.__name__}\n" in API
    if f"::: {owner}\n" in API or f"::: fmmi.{name}\n" in API or f"::: fmmi.estimators.{name}\n" in API:
        return True
    return any(f"::: {whole}\n" in API and getattr(mod, name, None) is obj for whole, mod in WHOLE.items())


PUBLIC = [("fmmi", name) for name in fmmi.__all__ if name != "__version__"] + [
    ("fmmi.estimators", name) for name in estimators.__all__
]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_every_public_name_has_a_docstring_and_is_in_the_reference(module, name):
    obj = getattr(__import__(module, fromlist=[name]), name)
    if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
        assert (obj.__doc__ or "").strip(), f"{module}.{name} has no docstring"
    assert documented(module, name), f"{module}.{name} is not in docs/api.md"


@pytest.mark.parametrize("module", sorted(WHOLE), ids=str)
def test_the_members_of_whole_modules_have_docstrings(module):
    mod = WHOLE[module]
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), f"{module}.{name} has no docstring"
