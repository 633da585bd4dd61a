"""torch zip, legacy, TorchScript, safetensors and generic zip files read statically.

Every file is written by the real library in the test; the oracle is the library's own
loader (``torch.load(weights_only=True)``, ``safetensors.torch.load_file``) in the same test.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import torch
from helpers import run_cli
from torch import nn

from hpinspect.load import read_model
from hpinspect.load.tensors import TensorStub


class Net(nn.Module):
    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.hidden_size = hidden
        self.fc1 = nn.Linear(4, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.bn(self.fc1(x))))


def trained() -> Net:
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.randn(16, 4)
    for _ in range(3):
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        opt.step()
    return net


def same_tensor(stub: Any, tensor: torch.Tensor) -> None:
    """hpinspect's stand-in against the real tensor: layout, dtype and statistics."""
    assert isinstance(stub, TensorStub)
    assert stub.shape == tuple(tensor.shape)
    assert stub.torch_dtype == str(tensor.dtype).removeprefix("torch.")
    assert stub.stats.count == tensor.numel()
    if tensor.numel() and tensor.dtype != torch.bool and not tensor.is_complex():
        values = tensor.detach().to(torch.float64)
        assert stub.stats.min == pytest.approx(values.min().item())
        assert stub.stats.max == pytest.approx(values.max().item())
        assert stub.stats.mean == pytest.approx(values.mean().item(), rel=1e-6, abs=1e-9)
        assert stub.stats.std == pytest.approx(values.std(unbiased=False).item(), rel=1e-5,
                                               abs=1e-9)


def compare_state_dict(root: Any, path: Path) -> None:
    oracle = torch.load(path, weights_only=True)
    assert list(root) == list(oracle)
    for key, tensor in oracle.items():
        same_tensor(root[key], tensor)


def test_state_dict_zip_matches_torch_load(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    torch.save(trained().state_dict(), path)
    result = read_model(path)
    assert result.file.format == "torch" and result.safety.verdict == "safe"
    compare_state_dict(result.root, path)
    assert result.root["fc1.weight"].requires_grad is False
    assert result.root._metadata["fc1"] == {"version": 1}  # the BUILD state of the OrderedDict


def test_format_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "model.weird"
    torch.save(trained().state_dict(), path)
    assert read_model(path).file.format == "torch"
    archive_named = tmp_path / "archive"
    torch.save({"w": torch.ones(3)}, archive_named)
    assert zipfile.ZipFile(archive_named).namelist()[0].startswith("archive/")
    compare_state_dict(read_model(archive_named).root, archive_named)


def test_dtypes_views_sparse_and_parameters(tmp_path: Path) -> None:
    torch.manual_seed(1)
    base = torch.randn(6, 5)
    tensors = {
        "bf16": (torch.randn(7, 3) * 10).to(torch.bfloat16),
        "f16": torch.randn(9).to(torch.float16),
        "f64": torch.randn(4, dtype=torch.float64),
        "i8": torch.arange(-5, 5, dtype=torch.int8),
        "u8": torch.arange(0, 200, 7, dtype=torch.uint8),
        "u16": torch.tensor([1, 60000, 3], dtype=torch.uint16),
        "i64": torch.arange(10),
        "flag": torch.tensor([True, False, True]),
        "transposed": base.t(),
        "sliced": base[2:, 1:4],
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "param": nn.Parameter(torch.randn(2, 2)),
    }
    path = tmp_path / "dtypes.pt"
    torch.save({**tensors, "sparse": torch.eye(3).to_sparse()}, path)
    result = read_model(path)
    assert result.safety.verdict == "safe", result.safety.findings
    oracle = torch.load(path, weights_only=True)
    for key in tensors:
        same_tensor(result.root[key], oracle[key])
    assert result.root["transposed"].stride == (1, 5)
    assert result.root["sliced"].offset == 11
    assert result.root["param"].parameter and result.root["param"].requires_grad
    sparse = result.root["sparse"]
    assert sparse.shape == (3, 3) and sparse.layout == "sparse_coo"
    assert sparse.stats.count == oracle["sparse"]._nnz()
    layout = next(f for f in result.safety.findings
                  if f.global_name == "torch.serialization._get_layout")
    assert layout.severity == "known"


def test_shared_storage_shown_once(tmp_path: Path) -> None:
    shared = torch.randn(4, 4)
    path = tmp_path / "tied.pt"
    torch.save({"encoder.weight": shared, "decoder.weight": shared}, path)
    root = read_model(path).root
    assert root["encoder.weight"] is root["decoder.weight"]
    names = zipfile.ZipFile(path).namelist()
    assert sum("/data/" in n for n in names) == 1  # torch itself wrote one storage


def test_legacy_file_reads_all_five_pickles(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pth"
    torch.save(trained().state_dict(), path, _use_new_zipfile_serialization=False)
    result = read_model(path)
    assert result.file.format == "torch-legacy" and result.safety.verdict == "safe"
    compare_state_dict(result.root, path)


def test_legacy_checkpoint_with_optimizer(tmp_path: Path) -> None:
    net = trained()
    opt = torch.optim.Adam(net.parameters(), lr=0.003)
    net(torch.randn(4, 4)).sum().backward()
    opt.step()
    path = tmp_path / "legacy_ckpt.pt"
    torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 2}, path,
               _use_new_zipfile_serialization=False)
    root = read_model(path).root
    oracle = torch.load(path, weights_only=True)
    assert root["epoch"] == 2
    assert root["optimizer"]["param_groups"][0]["lr"] == 0.003
    for key, tensor in oracle["optimizer"]["state"][0].items():
        same_tensor(root["optimizer"]["state"][0][key], tensor)


def test_safetensors_and_sharded_index(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    torch.manual_seed(2)
    first = {"a.weight": torch.randn(3, 4), "a.bias": torch.randn(3).to(torch.bfloat16)}
    second = {"b.weight": torch.randn(2, 3).to(torch.float16), "b.count": torch.arange(4)}
    save_file(first, tmp_path / "model-00001-of-00002.safetensors", metadata={"format": "pt"})
    save_file(second, tmp_path / "model-00002-of-00002.safetensors")
    single = read_model(tmp_path / "model-00001-of-00002.safetensors")
    assert single.file.format == "safetensors" and single.safety.verdict == "safe"
    oracle = load_file(tmp_path / "model-00001-of-00002.safetensors")
    for key, tensor in oracle.items():
        same_tensor(single.root[key], tensor)
    assert single.root.__dict__["__metadata__"] == {"format": "pt"}
    index = tmp_path / "model.safetensors.index.json"
    weight_map = {k: "model-00001-of-00002.safetensors" for k in first} | {
        k: "model-00002-of-00002.safetensors" for k in second}
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    merged = read_model(index).root
    for key, tensor in second.items():
        same_tensor(merged[key], tensor)
    assert set(merged) == set(weight_map)


def test_safetensors_index_cannot_leave_its_folder(tmp_path: Path) -> None:
    index = tmp_path / "evil.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {"w": "../../etc/passwd"}}))
    proc = run_cli(str(index))
    assert proc.returncode == 2 and "leaves the index folder" in proc.stderr
    assert proc.stdout == ""


def test_torchscript_archive_is_recognised_as_code(tmp_path: Path) -> None:
    path = tmp_path / "scripted.pt"
    torch.jit.script(nn.Sequential(nn.Linear(3, 2), nn.ReLU())).save(str(path))
    result = read_model(path)
    assert result.file.format == "torchscript"
    code = next(f for f in result.safety.findings if f.global_name == "TorchScript code")
    assert "code/__torch__/torch/nn/modules/container.py" in code.detail
    assert result.safety.verdict == "review"
    proc = run_cli(str(path))
    assert proc.returncode == 0 and "TorchScript" in proc.stdout


def test_generic_zip_inspects_every_pickle(tmp_path: Path) -> None:
    import pickle

    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/config.pkl", pickle.dumps({"lr": 0.1, "layers": [8, 4]}))
        archive.writestr("b/notes.txt", "hello")
        archive.writestr("b/blob", pickle.dumps([1, 2, 3], protocol=4))
    result = read_model(path)
    assert result.file.format == "zip" and result.safety.verdict == "safe"
    assert result.root == {"a/config.pkl": {"lr": 0.1, "layers": [8, 4]}, "b/blob": [1, 2, 3]}


def test_archive_records_are_provenance(tmp_path: Path) -> None:
    """``version``, ``.format_version`` and ``.storage_alignment`` (what torch.save wrote, read
    back here with zipfile) become auxiliary provenance attributes of the root."""
    path = tmp_path / "sd.pt"
    torch.save(trained().state_dict(), path)
    with zipfile.ZipFile(path) as archive:
        records = {name.split("/", 1)[1]: archive.read(name).decode().strip()
                   for name in archive.namelist()
                   if name.split("/", 1)[1] in ("version", ".format_version",
                                                 ".storage_alignment")}
    assert "version" in records
    done = run_cli(str(path), "--format", "json")
    attributes = {a["name"]: a for a in json.loads(done.stdout)["model"]["attributes"]}
    names = {"version": "torch.archive_version", ".format_version": "torch.format_version",
             ".storage_alignment": "torch.storage_alignment"}
    for record, text in records.items():
        shown = attributes[names[record]]
        assert str(shown["value"]) == text
        assert (shown["category"], shown["role"]) == ("auxiliary", "provenance")
