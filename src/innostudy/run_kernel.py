"""Warm kernels: one kernel per worker process, reused from one notebook to the next where safe.

Starting a kernel and importing pandas, matplotlib, seaborn and statsmodels in it costs seconds per
notebook. A worker of :mod:`innostudy.run` therefore keeps its kernel after a notebook that ran
without error, and before the next one resets it: a new, empty namespace (IPython's
``reset(new_session=True)``, so cells count from 1 again), the notebook's working folder and
environment (output folder, invocation folder), no open figures, matplotlib's settings as a new
inline kernel has them, pandas' options at their defaults and an empty list of input files. The
imported modules stay: that is the saving. A notebook that failed, timed out or killed its kernel
leaves it to be shut down; the next notebook gets a fresh kernel. The worker's kernel is shut down
when the worker ends.
"""

from __future__ import annotations

import json
from multiprocessing import util
from pathlib import Path

_KERNEL: dict = {"km": None}  # this worker's kernel manager, kept between notebooks

RESET = """
get_ipython().reset(new_session=True)
import os as _os, warnings as _warnings
_os.chdir({cwd})
_os.environ.update({env})
import matplotlib as _mpl, matplotlib.pyplot as _plt
_plt.close("all")
_mpl.rcdefaults()
from matplotlib_inline.backend_inline import InlineBackend as _Inline
_mpl.rcParams.update(_Inline.instance().rc)
import pandas as _pd
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    _pd.reset_option("all")
import innostudy.report as _report
_report._INPUTS.clear()
del _os, _warnings, _mpl, _plt, _Inline, _pd, _report
"""


def kernel_for(kernel_name: str, cwd: Path, env: dict, warm: bool):
    """A kernel manager for the next notebook: this worker's kept kernel, reset, when there is one
    alive and ``warm``; else a new manager (papermill starts its kernel and leaves it running)."""
    from jupyter_client.manager import AsyncKernelManager

    km = _KERNEL["km"]
    if warm and km is not None and km.kernel_name == kernel_name and _reset(km, cwd, env):
        return km
    discard()
    km = AsyncKernelManager(kernel_name=kernel_name)
    _KERNEL["km"] = km
    if not getattr(kernel_for, "finalizer", None):  # shut the kernel down when the worker ends
        kernel_for.finalizer = util.Finalize(None, discard, exitpriority=100)
    return km


def keep(ok: bool) -> None:
    """After a notebook: keep the kernel for the next one only when the notebook ran cleanly."""
    if not ok:
        discard()


def discard() -> None:
    """Shut this worker's kernel down (if any)."""
    from jupyter_core.utils import run_sync

    km, _KERNEL["km"] = _KERNEL["km"], None
    if km is not None and km.has_kernel:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already dead: nothing left to stop
            pass


def _reset(km, cwd: Path, env: dict) -> bool:
    """Reset the kept kernel for the next notebook; False when it is not alive or not reset."""
    from jupyter_core.utils import run_sync

    if not km.has_kernel or not run_sync(km.is_alive)():
        return False
    code = RESET.format(cwd=json.dumps(str(cwd)), env=json.dumps(env))
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=30)
        reply = run_sync(client.execute_interactive)(
            code, store_history=False, timeout=60, output_hook=lambda message: None
        )
    except Exception:  # a kernel that does not answer is not reused
        return False
    finally:
        client.stop_channels()
    return reply["content"]["status"] == "ok"
