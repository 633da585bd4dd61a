"""Reading a large torch checkpoint streams its storages: peak memory stays far below its size.

A ~300 MB state_dict is written by real torch (in a subprocess, which also prints torch's own
statistics as the oracle); hpinspect reads it in a subprocess that reports its own peak RSS
(VmHWM; ``ru_maxrss`` would carry pytest's peak over the exec). The 1 GB figure in the
README comes from a manual run of the same code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WRITE = """\
import json, sys, torch
torch.manual_seed(0)
weights = {f"layer{i}.weight": torch.randn(2500, 10_000) for i in range(3)}  # 3 x 100 MB
torch.save(weights, sys.argv[1])
print(json.dumps({k: [v.min().item(), v.max().item(), v.double().mean().item()]
                  for k, v in weights.items()}))
"""
READ = """\
import json, sys
from hpinspect.load import read_model
root = read_model(sys.argv[1]).root
print(json.dumps({k: [t.stats.min, t.stats.max, t.stats.mean] for k, t in root.items()}))
# VmHWM is this process's own peak: ru_maxrss would carry pytest's peak over the exec
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""
def test_300mb_checkpoint_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.pt"
    written = subprocess.run([sys.executable, "-c", WRITE, str(path)], capture_output=True,
                             text=True, check=True, timeout=600)
    oracle = json.loads(written.stdout)
    assert path.stat().st_size > 280 << 20
    proc = subprocess.run([sys.executable, "-c", READ, str(path)], capture_output=True,
                          text=True, check=True, timeout=600)
    stdout, rss_kib = proc.stdout.strip().splitlines()
    stats = json.loads(stdout)
    for key, (low, high, mean) in oracle.items():
        assert stats[key][:2] == [low, high]
        assert abs(stats[key][2] - mean) < 1e-6
    # Holding one 100 MB storage would push the peak past ~190 MiB; streaming peaks near
    # 75 MiB (interpreter + numpy + one 8 MiB chunk and its float64 copy). 150 MiB leaves
    # room for allocator noise on a loaded runner and still fails if a storage were read whole.
    assert int(rss_kib) < 150 * 1024, f"peak RSS {int(rss_kib) // 1024} MiB"
