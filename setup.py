"""Build wiring only: the extension list and the copy of the C core into the package.

All metadata lives in pyproject.toml.  Each extension module compiles exactly the
csrc/ files it needs, so every kernel has one implementation (in csrc/) and each piece
of process-wide native state (the thread pool) lives in exactly one shared object.
"""
import os
import shutil
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent.resolve()
CSRC = HERE / "csrc"


def _read_env(name):
    """``name`` as fastiter/_env.py reads every FASTITER_* variable (loaded by path: the
    package cannot be imported before it is built)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("_fastiter_env", HERE / "fastiter" / "_env.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod.get(name)

# module name under fastiter._core -> the csrc/ translation units it links
NATIVE = {
    "_kernels": ["kernels.c", "pad.c", "gather.c", "philox.c", "random_xform.c",
                 "threads.c", "convert.c"],
    "_csv": ["csv.c"],
    "_ring": ["ring.c", "ring_wait.c", "ring_thread.c"],
    "_alloc": ["blockcache.c"],
}

# -ffp-contract=off: no FMA fusion, so float results do not depend on the SIMD path.
CFLAGS = ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-ffp-contract=off", "-fno-math-errno",
          "-Wall", "-Wno-unused-function"]
if _read_env("FASTITER_DEBUG"):
    CFLAGS = ["-O0", "-g", "-std=gnu11"]


def _ship_c_sources():
    """Copy the public headers and the C sources into the package.

    fastiter.get_include() then works from a wheel as well as from a checkout, and C
    programs can compile the very same sources the extension was built from.
    """
    pkg = HERE / "fastiter"
    for sub, pattern, dst in (("include", "*.h", "include"),
                              ("include/fastiter", "*.h", "include/fastiter"),
                              ("", "*.c", "src"), ("", "*.h", "src")):
        target = pkg / dst
        target.mkdir(parents=True, exist_ok=True)
        for f in (CSRC / sub).glob(pattern):
            shutil.copy2(f, target / f.name)


class NumpyBuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        import numpy  # imported here so that setup.py can be read without numpy

        for ext in self.extensions:
            ext.include_dirs.append(numpy.get_include())


def _extensions():
    exts = []
    for mod, csources in NATIVE.items():
        exts.append(Extension(
            f"fastiter._core.{mod}",
            sources=[f"fastiter/_core/{mod}.pyx"] + [f"csrc/{c}" for c in csources],
            include_dirs=["csrc/include", "csrc"],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=CFLAGS,
            extra_link_args=["-pthread"],
        ))
    return cythonize(exts, language_level=3, compiler_directives={
        "boundscheck": False, "wraparound": False, "cdivision": True,
        "initializedcheck": False, "embedsignature": True,
    })


def _record_build_info():
    """Write the flags the extensions are built with, for fastiter.show_config()."""
    import json
    import sysconfig

    info = {"cflags": CFLAGS, "cc": sysconfig.get_config_var("CC"),
            "modules": {m: srcs for m, srcs in NATIVE.items()}}
    (HERE / "fastiter" / "_core" / "build_info.json").write_text(json.dumps(info, indent=1))


_ship_c_sources()
_record_build_info()
setup(ext_modules=_extensions(), cmdclass={"build_ext": NumpyBuildExt})
