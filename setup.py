"""Build wiring only: the extension list and the C library, declared here and made by build_ext.

All metadata lives in pyproject.toml.  Importing this file declares the build and does
nothing else: setup() runs only when the file runs as __main__, as every build runs it
(``python setup.py``, setuptools' PEP 517 backend).  Cythonizing, copying the C core into
the package, compiling libfastiter and writing build_info.json all happen inside the
``build_ext`` command, so ``python -m build --sdist`` or a metadata query neither needs
Cython nor touches the tree.

One implementation: every csrc/ translation unit is compiled once, with one set of flags,
into objects that make up ``libfastiter.so`` / ``libfastiter.a`` and are linked into the
extension modules that need them (each extension gets exactly the units listed in NATIVE,
so process-wide native state such as the thread pool lives in exactly one shared object).
"""

import json
import os
import shutil
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent.resolve()
CSRC = "csrc"


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
    "_kernels": [
        "kernels.c",
        "pad.c",
        "gather.c",
        "philox.c",
        "random_xform.c",
        "threads.c",
        "convert.c",
        "cpu.c",
    ],
    "_csv": ["csv.c"],
    "_ring": ["ring.c", "ring_wait.c", "ring_thread.c"],
    "_alloc": ["blockcache.c"],
}


# -ffp-contract=off: no FMA fusion, so float results do not depend on the SIMD path.
# -g0 and --strip-debug: Python's own CFLAGS carry -g, which made the _kernels module 3 MB.
# Decided when the build runs (FASTITER_DEBUG), not when this file is read.
def _flags():
    """(compile flags, link flags) for every C file and extension."""
    if _read_env("FASTITER_DEBUG"):
        return ["-O0", "-g", "-std=gnu11", "-fPIC"], ["-pthread"]
    return (
        [
            "-O3",
            "-g0",
            "-std=gnu11",
            "-fPIC",
            "-fno-strict-aliasing",
            "-ffp-contract=off",
            "-fno-math-errno",
            "-Wall",
            "-Wno-unused-function",
        ],
        ["-pthread", "-Wl,--strip-debug"],
    )


def _c_library_files(version: str) -> dict:
    """pkg-config and CMake files for the shipped library, relative to where they lie.

    Layout inside the package: include/, lib/libfastiter.{so,a}, lib/pkgconfig/fastiter.pc,
    lib/cmake/fastiter/fastiterConfig*.cmake.  Nothing holds an absolute path, so the
    files stay right wherever pip puts the package.
    """
    pc = f"""\
prefix=${{pcfiledir}}/../..
libdir=${{prefix}}/lib
includedir=${{prefix}}/include

Name: fastiter
Description: fastiter's C core: batch kernels, Philox random numbers, ring buffer, CSV
Version: {version}
Cflags: -I${{includedir}}
Libs: -L${{libdir}} -Wl,-rpath,${{libdir}} -lfastiter
Libs.private: -pthread -lm
"""
    config = """\
# fastiter's C core as imported targets:
#   fastiter::fastiter         the shared library (libfastiter.so)
#   fastiter::fastiter_static  the static library (libfastiter.a), with Threads and libm
include(CMakeFindDependencyMacro)
find_dependency(Threads)
get_filename_component(_fastiter_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(fastiter_INCLUDE_DIRS "${_fastiter_prefix}/include")
set(fastiter_LIBRARY_DIR "${_fastiter_prefix}/lib")
if(NOT TARGET fastiter::fastiter)
  add_library(fastiter::fastiter SHARED IMPORTED)
  set_target_properties(fastiter::fastiter PROPERTIES
    IMPORTED_LOCATION "${_fastiter_prefix}/lib/libfastiter.so"
    IMPORTED_SONAME "libfastiter.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_fastiter_prefix}/include")
  add_library(fastiter::fastiter_static STATIC IMPORTED)
  set_target_properties(fastiter::fastiter_static PROPERTIES
    IMPORTED_LOCATION "${_fastiter_prefix}/lib/libfastiter.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_fastiter_prefix}/include"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
endif()
unset(_fastiter_prefix)
"""
    config_version = f"""\
set(PACKAGE_VERSION "{version}")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
"""
    return {
        "lib/pkgconfig/fastiter.pc": pc,
        "lib/cmake/fastiter/fastiterConfig.cmake": config,
        "lib/cmake/fastiter/fastiterConfigVersion.cmake": config_version,
    }


class FastiterBuildExt(build_ext):
    """build_ext that also ships the C core: headers, sources, libfastiter, .pc, CMake."""

    def finalize_options(self):
        super().finalize_options()
        import numpy  # here, not at import: declaring the build must not need numpy

        self._cflags, self._ldflags = _flags()
        for ext in self.extensions:
            ext.include_dirs.append(numpy.get_include())
            ext.extra_compile_args = list(self._cflags)
            ext.extra_link_args = list(self._ldflags)

    def run(self):
        from Cython.Build import cythonize

        # cythonize makes new Extension objects; keep setuptools' finalized ones and take
        # only their .pyx -> .c sources.
        cythonized = cythonize(
            self.extensions,
            language_level=3,
            compiler_directives={
                "boundscheck": False,
                "wraparound": False,
                "cdivision": True,
                "initializedcheck": False,
                "embedsignature": True,
            },
        )
        for ext, done in zip(self.extensions, cythonized):
            assert ext.name == done.name, (ext.name, done.name)
            ext.sources = done.sources
        super().run()  # setuptools clears self.inplace in here and copies the modules after
        for pkg in self._package_dirs():
            self._ship(pkg, self._core_objects)

    def _package_dirs(self):
        """Where generated package files go: the build tree, and the source tree in place."""
        dirs = []
        if not self.inplace:
            dirs.append(Path(self.build_lib) / "fastiter")
        if self.inplace or getattr(self, "editable_mode", False):
            dirs.append(HERE / "fastiter")
        return dirs

    def build_extensions(self):
        objects = self._compile_core()
        for ext in self.extensions:
            mod = ext.name.rsplit(".", 1)[-1]
            ext.extra_objects = [objects[c] for c in NATIVE[mod]]
            ext.depends = list(ext.depends) + ext.extra_objects
        self._core_objects = objects
        super().build_extensions()

    def _compile_core(self):
        """Every csrc/*.c once, into objects shared by libfastiter and the extensions."""
        sources = sorted(str(p.relative_to(HERE)) for p in (HERE / CSRC).glob("*.c"))
        listed = {c for cs in NATIVE.values() for c in cs}
        missing = sorted(listed - {os.path.basename(s) for s in sources})
        if missing:
            raise RuntimeError(f"NATIVE lists {missing}, which are not in csrc/")
        out_dir = os.path.join(self.build_temp, "libfastiter")
        objs = self.compiler.compile(
            sources,
            output_dir=out_dir,
            include_dirs=[f"{CSRC}/include", CSRC],
            extra_postargs=self._cflags,
        )
        return {os.path.basename(s): o for s, o in zip(sources, objs)}

    def _ship(self, pkg: Path, objects: dict):
        """Headers, sources, the C library and its build files into the package ``pkg``."""
        version = self.distribution.get_version()
        for sub, pattern, dst in (
            ("include", "*.h", "include"),
            ("include/fastiter", "*.h", "include/fastiter"),
            ("", "*.c", "src"),
            ("", "*.h", "src"),
        ):
            target = pkg / dst
            target.mkdir(parents=True, exist_ok=True)
            for f in (HERE / CSRC / sub).glob(pattern):
                shutil.copy2(f, target / f.name)
        lib = pkg / "lib"
        lib.mkdir(parents=True, exist_ok=True)
        objs = list(objects.values())
        self.compiler.link_shared_object(
            objs,
            "libfastiter.so",
            output_dir=str(lib),
            libraries=["m"],
            extra_postargs=[*self._ldflags, "-Wl,-soname,libfastiter.so"],
        )
        static = lib / "libfastiter.a"
        if static.exists():
            static.unlink()  # ar appends to an existing archive
        self.compiler.create_static_lib(objs, "fastiter", output_dir=str(lib))
        for rel, text in _c_library_files(version).items():
            (lib.parent / rel).parent.mkdir(parents=True, exist_ok=True)
            (lib.parent / rel).write_text(text)
        info = {
            "cflags": self._cflags,
            "ldflags": self._ldflags,
            "cc": sysconfig.get_config_var("CC"),
            "modules": dict(NATIVE),
            "library": sorted(objects),
        }
        (pkg / "_core" / "build_info.json").write_text(json.dumps(info, indent=1))


def _extensions():
    return [
        Extension(
            f"fastiter._core.{mod}",
            sources=[f"fastiter/_core/{mod}.pyx"],
            include_dirs=[f"{CSRC}/include", CSRC],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )
        for mod in NATIVE
    ]


# Only when run as a build (`python setup.py ...`, or setuptools' PEP 517 backend, which
# executes this file as __main__): importing it declares the build and does nothing else.
if __name__ == "__main__":
    setup(ext_modules=_extensions(), cmdclass={"build_ext": FastiterBuildExt})
