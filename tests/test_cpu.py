"""Subnormal flushing reaches every thread that computes, whatever ran before (issue 9)."""
import platform
import subprocess
import sys
import textwrap

import pytest

from mnist_mlp.cpu import has_bf16

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


def test_flush_denormals_reaches_threads_started_before_it():
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("subnormal flushing is an x86 feature; this CPU is not x86")
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout.split()
    before, after, switched_off = map(float, out)
    assert before == 1.0, "the probe must see subnormals computed before flushing"
    assert after == 0.0, f"{after:.0%} of the product was computed by unflushed threads"
    assert switched_off == 1.0, "flush_denormals(False) must switch every thread back"


def test_has_bf16_reads_the_cpu_flags(monkeypatch):
    from mnist_mlp import cpu
    monkeypatch.setattr(cpu, "_cpuinfo", lambda field: "fpu avx2 avx512f")
    assert not has_bf16()
    monkeypatch.setattr(cpu, "_cpuinfo", lambda field: "avx512f avx512_bf16")
    assert has_bf16()
