"""The parameter contract every estimator follows (scikit-learn's): options in, stored as given, listed back."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["Params"]


class Params:
    """``get_params``, ``set_params`` and a short ``repr`` from the keyword-only arguments of ``__init__``.

    An estimator stores every keyword-only argument of its ``__init__`` unchanged, under the same
    name, and checks them when it fits; that is all this needs (and all that
    ``sklearn.base.clone`` needs).
    """

    @classmethod
    def _param_names(cls) -> tuple[str, ...]:
        signature = inspect.signature(cls.__init__)
        return tuple(p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments, as given (``deep`` is accepted for scikit-learn; nothing is nested)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Params:
        """Set constructor arguments by name; returns the estimator. Unknown names raise ValueError."""
        known = self._param_names()
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no option {unknown}; its options are {list(known)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        }
        changed = {}
        for name, value in self.get_params().items():
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except Exception:  # arrays and the like: show them
                same = False
            if not same:
                changed[name] = value
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"
