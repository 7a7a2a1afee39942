"""Subnormal flushing reaches every thread that computes, whatever ran before."""
import platform
import subprocess
import sys
import textwrap

import pytest

from mnist_mlp import cpu

# A product of two 1e-20 floats is subnormal (1e-40); a sum of 256 of them is a normal float
# again. With flushing, each product is zero, so a matrix product of such matrices is all
# zeros; a thread computing without the flag leaves its share of the output non-zero.
PROBE = textwrap.dedent("""
    import torch
    torch.set_num_threads(2)
    def share_not_flushed():
        a = torch.full((256, 256), 1e-20)
        return float(((a @ a) != 0).float().mean())
    before = share_not_flushed()  # starts the OpenMP pool before anything is flushed
    from mnist_mlp.cpu import flush_denormals
    assert flush_denormals()
    after = share_not_flushed()
    flush_denormals(False)
    print(before, after, share_not_flushed())
""")


@pytest.mark.slow
def test_flush_denormals_reaches_threads_started_before_it():
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("subnormal flushing is an x86 feature; this CPU is not x86")
    if cpu.libgomp() is None:
        pytest.skip("torch here runs on no GNU OpenMP pool (Intel OpenMP, macOS): "
                    "flush_denormals cannot reach its threads and says so (next test)")
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout.split()
    before, after, switched_off = map(float, out)
    assert before == 1.0, "the probe must see subnormals computed before flushing"
    assert after == 0.0, f"{after:.0%} of the product was computed by unflushed threads"
    assert switched_off == 1.0, "flush_denormals(False) must switch every thread back"


def test_without_gnu_openmp_it_says_it_could_not_reach_every_thread(monkeypatch):
    monkeypatch.setattr(cpu, "libgomp", lambda: None)
    monkeypatch.setattr(cpu.torch, "set_flush_denormal", lambda enabled: True)
    monkeypatch.setattr(cpu.torch, "get_num_threads", lambda: 2)
    assert cpu.flush_denormals() is False
    monkeypatch.setattr(cpu.torch, "get_num_threads", lambda: 1)  # no pool to reach
    assert cpu.flush_denormals() is True
    monkeypatch.setattr(cpu.torch, "set_flush_denormal", lambda enabled: False)  # not x86
    assert cpu.flush_denormals() is False


def test_cpu_flags_read_proc_cpuinfo(monkeypatch):
    monkeypatch.setattr(cpu, "_cpuinfo", lambda field: "fpu avx2 avx512f")
    assert cpu.cpu_flags() == {"fpu", "avx2", "avx512f"}
