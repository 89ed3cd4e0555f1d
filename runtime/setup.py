"""The compiled body check of the inbound boundary (qdbusgen_runtime._cwire).

Optional: where it cannot be built (no C compiler or no Python headers), the runtime is
installed without it and checks bodies in pure Python (``qdbusgen_runtime._wire.COMPILED``
says which).  Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "qdbusgen_runtime._cwire",
            ["src/qdbusgen_runtime/_cwire.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
            optional=True,
        )
    ]
)
