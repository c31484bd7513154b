"""The top folder of a fastiter checkout: not the package, a guard against importing it.

This file only runs when Python starts in the folder that *holds* a checkout named
``fastiter`` (``git clone ... fastiter`` then ``python`` one level up): the current
folder comes first on ``sys.path``, so ``import fastiter`` would find this folder
before the installed package.  Without this file that import gives an empty namespace
package, and ``fastiter.DataSet`` fails later with a puzzling ``AttributeError``.

Here the import is handed to the real package (installed, or installed editable from
this checkout) with this folder's parent taken off ``sys.path`` for the look-up; when
there is none for this interpreter, the ImportError says what happened and what to do.
"""

import importlib
import os
import sys

_TOP = os.path.dirname(os.path.abspath(__file__))
_PARENT = os.path.realpath(os.path.dirname(_TOP))


def _hand_over():
    name = __name__
    saved = list(sys.path)
    sys.path[:] = [p for p in saved if os.path.realpath(p or os.curdir) != _PARENT]
    del sys.modules[name]
    try:
        real = importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"`import {name}` found the checkout folder {_TOP} (Python runs from "
            f"{os.path.dirname(_TOP)}), not the installed package, and {sys.executable} "
            f"has no {name} installed.  Install it (`pip install -e {_TOP}`, or "
            f"`make install` inside the checkout and use {os.path.join(_TOP, '.venv')}), "
            f"or run Python from another folder."
        ) from exc
    finally:
        sys.path[:] = saved
    if os.path.realpath(getattr(real, "__file__", None) or "") == os.path.realpath(__file__):
        raise ImportError(f"{_TOP} shadows the {name} package; run Python from another folder")
    return real


# The import system returns whatever sys.modules holds under this name once this file has
# run, so the caller receives the real package.  Under any other name (a test runner
# importing the checkout's top folder as a package of its own) there is nothing to do.
if __name__ == "fastiter":
    sys.modules[__name__] = _hand_over()
