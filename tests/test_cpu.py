"""Subnormal flushing reaches the threads torch computes on; the CPU's name and flags."""
import platform
import subprocess
import sys
import textwrap

import pytest

from mnist_mlp import cpu

# Every output of a parallel elementwise product of a subnormal float (2**-128, made from its
# bits: converting 1e-40 would itself be flushed) by 1.0 is zero on a thread that flushes and
# subnormal on one that does not. With two threads, torch gives each half of the 2**21 values
# (64 chunks of its grain size) to one thread: the caller's first, then the pool's worker.
PROBE = textwrap.dedent("""
    import sys
    import torch

    def unflushed_share():
        x = torch.full((1 << 21,), 0x00200000, dtype=torch.int32).view(torch.float32)
        nonzero = torch.mul(x, 1.0).view(torch.int32) != 0  # bits: a float test would flush
        return [float(half.float().mean()) for half in nonzero.chunk(2)]

    torch.set_num_threads(2)
    if sys.argv[1] == "pool first":
        unflushed_share()  # starts torch's thread pool before anything is flushed
    # What the notebooks' imports cell does, then what it calls:
    import pandas as pd
    from d2l import torch as d2l
    from mnist_mlp import MLP, MNIST, evaluate_accuracy
    from mnist_mlp.cli import main
    from mnist_mlp.cpu import flush_denormals
    assert flush_denormals()
    print(*unflushed_share())
""")


def unflushed_share(order):
    out = subprocess.run([sys.executable, "-c", PROBE, order], capture_output=True, text=True,
                         check=True).stdout.split()
    return [float(share) for share in out]


@pytest.mark.slow
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="subnormal flushing is an x86 feature; this CPU is not x86")
def test_flushing_after_the_imports_reaches_the_thread_pool():
    assert unflushed_share("as the notebooks do") == [0.0, 0.0]
    # The probe can tell: threads started before the flag keep computing with subnormals.
    assert unflushed_share("pool first") == [0.0, 1.0]


@pytest.fixture
def cpuinfo(tmp_path, monkeypatch):
    """A /proc/cpuinfo of two processors, as Linux writes it on x86."""
    path = tmp_path / "cpuinfo"
    processor = ("processor\t: {n}\nvendor_id\t: AuthenticAMD\nmodel\t\t: 1\n"
                 "model name\t: AMD EPYC 9R14\nflags\t\t: fpu sse2 avx2 avx512f{extra}\n"
                 "vmx flags\t: vnmi\nbugs\t\t: sysret_ss_attrs\n\n")
    path.write_text(processor.format(n=0, extra="") + processor.format(n=1, extra=" amx"))
    monkeypatch.setattr(cpu, "CPUINFO", path)
    return path


def test_cpu_name_and_flags_come_from_the_first_processor(cpuinfo):
    assert cpu.cpu_name() == "AMD EPYC 9R14"
    assert cpu.cpu_flags() == {"fpu", "sse2", "avx2", "avx512f"}


def test_without_cpuinfo_there_are_no_flags_and_the_name_comes_from_python(cpuinfo):
    cpuinfo.unlink()
    assert cpu.cpu_flags() == set()
    assert cpu.cpu_name() == (platform.processor() or platform.machine())
