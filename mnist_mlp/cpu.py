"""CPU settings that decide training speed: subnormal flushing; the CPU's name and flags."""
import contextlib
import platform

import torch

CPUINFO = "/proc/cpuinfo"  # Linux's; elsewhere absent, and the flags are unknown


def flush_denormals(enabled=True):
    """Treat subnormal floats as zero; call it before torch's first parallel operation.

    Adam's running averages for pixels that are almost never lit decay into subnormals after
    about an epoch, and arithmetic on subnormals is slow on x86 CPUs. The flag is a bit of each
    thread's MXCSR register, and `torch.set_flush_denormal` sets the calling thread's only. A
    new thread inherits it from the thread that starts it, so torch's OpenMP workers, started
    by its first parallel operation, compute flushed; workers started earlier do not (the
    subnormal probe in tests/test_cpu.py shows both). The notebooks call it in their imports
    cell, `mnist_mlp train` before it loads the data. The register is the thread's, so Python's
    own floats are flushed too: in that process, 1e-310 == 0 (the package's rules refuse
    subnormal settings for this reason). Returns False where the CPU has no such mode, as torch
    reports it.
    """
    return torch.set_flush_denormal(enabled)


def cpu_flags():
    """The CPU's feature flags (avx2, avx512f, avx512_bf16, ...); empty where unknown."""
    return set(_cpuinfo("flags").split())


def cpu_name():
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def _cpuinfo(field):
    """The first value of `field` in /proc/cpuinfo (Linux), or ''."""
    with contextlib.suppress(OSError), open(CPUINFO) as info:
        for line in info:
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    return ""
