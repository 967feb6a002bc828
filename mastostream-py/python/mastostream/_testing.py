"""Test support: ``FakeServer``, the loopback fake Mastodon server (``mastostream-fake``).

Only in builds with the ``testing`` cargo feature (``maturin build --features testing``);
release wheels leave it out.
"""

try:
    from ._mastostream import _testing as _native
except ImportError as err:  # pragma: no cover - depends on the build
    raise ImportError(
        "mastostream was built without the 'testing' feature: "
        "build it with `maturin build --features testing`"
    ) from err

FakeServer = _native.FakeServer

__all__ = ["FakeServer"]
