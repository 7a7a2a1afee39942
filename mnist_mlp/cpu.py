"""CPU settings that decide training speed: subnormal flushing; the CPU's name and flags."""
import contextlib
import ctypes
import platform

import torch


def flush_denormals(enabled=True):
    """Treat subnormal floats as zero on every CPU thread torch computes on.

    Returns True when the setting reached the calling thread and every thread of torch's
    OpenMP pool; False where it could not (no such CPU support, or a pool that is not GNU
    OpenMP's, as with Intel OpenMP or on macOS), and then those threads keep subnormals.

    Adam's running averages for pixels that are almost never lit decay into subnormals after
    about an epoch, and arithmetic on subnormals is slow on x86 CPUs. The flag lives in each
    thread's MXCSR register and `torch.set_flush_denormal` sets only the calling thread's;
    OpenMP worker threads started earlier keep computing with subnormals, so here the flag is
    also set inside every thread of the pool.
    """
    if not torch.set_flush_denormal(enabled):
        return False
    if torch.get_num_threads() == 1:
        return True
    gomp = libgomp()
    if gomp is None:
        return False
    gomp.GOMP_parallel(_GOMP_FN(lambda _: torch.set_flush_denormal(enabled)), None,
                       torch.get_num_threads(), 0)
    return True


_GOMP_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def libgomp():
    """The GNU OpenMP runtime torch loaded (Linux builds), or None if there is none."""
    with contextlib.suppress(OSError):
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/libgomp" in line}
        # Other wheels (scikit-learn's) may bundle their own copy: torch's own pool comes first.
        for path in sorted(paths, key=lambda path: "torch" not in path):
            lib = ctypes.CDLL(path)
            lib.GOMP_parallel.argtypes = [_GOMP_FN, ctypes.c_void_p, ctypes.c_uint,
                                          ctypes.c_uint]
            lib.GOMP_parallel.restype = None
            return lib
    return None


def cpu_flags():
    """The CPU's feature flags (avx2, avx512f, avx512_bf16, ...); empty where unknown."""
    return set(_cpuinfo("flags").split())


def cpu_name():
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def _cpuinfo(field):
    """The first value of `field` in /proc/cpuinfo (Linux), or ''."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    return ""
