"""Test-suite strategies: the public ones from logicrm.testing plus hostile input."""

from hypothesis import strategies as st

from logicrm.testing import *  # noqa: F403 - the one home of the domain strategies
from logicrm.testing import __all__ as _public

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_like = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=12,
)

__all__ = [*_public, "json_like"]
