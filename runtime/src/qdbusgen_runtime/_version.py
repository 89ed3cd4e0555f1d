"""The runtime's version, and the dbus-fast releases it supports (one place for both)."""

#: This distribution's version. Generated code checks its major.minor at import
#: (:func:`qdbusgen_runtime.require_version`).
__version__ = "1.2.4"

#: The dbus-fast releases whose internals :mod:`._adapter` adapts.
DBUS_FAST_RANGE = ">=5.2, <5.3"
