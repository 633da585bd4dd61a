"""Neural-network classification: state_dicts, whole models, checkpoints, Lightning; check, diff.

Files are written by real torch and a real 1-epoch Lightning ``Trainer.fit`` on CPU; the
expected values come from the objects the test trained (the library's own answer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from helpers import run_cli
from torch import nn

from hpinspect import diff_reports, inspect_file
from hpinspect.report import Node, Report

OPT_STATE = "optimizer state: needed to resume training, not to predict"


class Net(nn.Module):
    def __init__(self, hidden: int = 8, dropout: float = 0.3) -> None:
        super().__init__()
        self.hidden_size = hidden
        self.fc1 = nn.Linear(4, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(dropout)
        self.conv = nn.Conv1d(1, 2, kernel_size=3)
        self.fc2 = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.bn(self.fc1(x))))


def node(report: Report, path: str) -> Node:
    return next(n for n in report.nodes() if n.path == path)


def attr(n: Node, name: str) -> Any:
    found = n.attribute(name)
    assert found is not None, [a.name for a in n.attributes]
    return found


def train(net: nn.Module, optimizer: torch.optim.Optimizer, steps: int,
          scheduler: Any = None) -> None:
    torch.manual_seed(3)
    x = torch.randn(16, 4)
    for _ in range(steps):
        optimizer.zero_grad()
        net(x).pow(2).mean().backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def test_state_dict_grouped_by_module_with_total(tmp_path: Path) -> None:
    net = Net()
    path = tmp_path / "sd.pt"
    torch.save(net.state_dict(), path)
    report = inspect_file(path)
    total = attr(report.model, "total_parameters")
    assert total.category == "learned"
    assert total.value == sum(p.numel() for p in net.parameters())
    fc1 = node(report, "fc1")
    assert attr(fc1, "weight").category == "learned"
    assert attr(fc1, "weight").stats["shape"] == [8, 4]
    assert (attr(fc1, "in_features").value, attr(fc1, "out_features").value) == (4, 8)
    assert attr(fc1, "out_features").category == "hyperparameter"
    bn = node(report, "bn")
    assert attr(bn, "running_mean").category == "learned"
    assert attr(bn, "num_batches_tracked").category == "auxiliary"
    assert attr(bn, "num_features").value == 8
    assert attr(node(report, "conv"), "kernel_size").value == [3]


def test_whole_model_architecture(tmp_path: Path) -> None:
    net = Net(hidden=6, dropout=0.25)
    path = tmp_path / "whole.pt"
    torch.save(net, path)
    report = inspect_file(path)
    assert report.safety.verdict == "review"  # the user's Net class; torch.nn classes known
    assert {f.global_name for f in report.safety.findings if f.severity != "known"} == {
        f"{Net.__module__}.Net"}
    assert attr(report.model, "hidden_size").category == "hyperparameter"
    assert attr(report.model, "hidden_size").value == 6
    assert attr(report.model, "total_parameters").value == sum(
        p.numel() for p in net.parameters())
    drop = node(report, "drop")
    assert drop.class_name == "torch.nn.modules.dropout.Dropout" and drop.known
    assert attr(drop, "p").value == 0.25 and attr(drop, "p").category == "hyperparameter"
    assert attr(node(report, "bn"), "eps").value == net.bn.eps
    assert attr(node(report, "bn"), "momentum").value == 0.1
    assert attr(node(report, "conv"), "kernel_size").value == [3]
    assert attr(node(report, "fc1"), "weight").stats["shape"] == [6, 4]
    assert attr(node(report, "fc1"), "training").category == "auxiliary"


def checkpoint(tmp_path: Path, name: str, lr: float, steps: int) -> tuple[Path, Any]:
    torch.manual_seed(0)
    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.8, 0.99),
                                 weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    train(net, optimizer, steps, scheduler)
    path = tmp_path / name
    torch.save({"epoch": steps, "model_state_dict": net.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "loss": 0.25}, path)
    return path, optimizer


def test_checkpoint_with_adam_and_steplr(tmp_path: Path) -> None:
    path, optimizer = checkpoint(tmp_path, "ckpt.pt", 0.01, 3)
    report = inspect_file(path)
    assert report.safety.verdict == "safe"
    opt = node(report, "['optimizer_state_dict']")
    group = optimizer.state_dict()["param_groups"][0]
    lr = attr(opt, "lr")
    assert lr.category == "hyperparameter" and lr.role == "training hyperparameter"
    assert lr.value == group["initial_lr"] == 0.01
    assert attr(opt, "scheduled_lr").value == pytest.approx(group["lr"]) == 0.005
    assert attr(opt, "scheduled_lr").category == "auxiliary"
    assert attr(opt, "betas").value == [0.8, 0.99]
    assert attr(opt, "weight_decay").value == 1e-4
    moments = attr(opt, "state.exp_avg")
    assert moments.category == "auxiliary" and moments.role == OPT_STATE
    assert moments.value == len(optimizer.state_dict()["state"])
    sched = node(report, "['scheduler']")
    assert attr(sched, "step_size").value == 2 and attr(sched, "gamma").value == 0.5
    assert attr(sched, "last_epoch").category == "auxiliary"
    assert attr(report.model, "epoch").category == "auxiliary"
    assert attr(report.model, "loss").category == "auxiliary"
    assert attr(node(report, "['model_state_dict'].fc1"), "weight").category == "learned"


def test_sgd_momentum_is_a_training_hyperparameter(tmp_path: Path) -> None:
    net = Net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    train(net, optimizer, 2)
    path = tmp_path / "sgd.pt"
    torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict()}, path)
    opt = node(inspect_file(path), "['optimizer']")
    assert attr(opt, "lr").value == 0.1 and attr(opt, "momentum").value == 0.9
    assert attr(opt, "nesterov").category == "hyperparameter"
    assert attr(opt, "state.momentum_buffer").role == OPT_STATE


def test_check_and_diff_of_checkpoints(tmp_path: Path) -> None:
    a, _ = checkpoint(tmp_path, "a.pt", 0.01, 1)
    b, _ = checkpoint(tmp_path, "b.pt", 0.02, 3)
    ok = run_cli("check", str(a), "--expect", "lr=0.01", "--expect", "gamma=0.5",
                 "--expect", "model_state_dict.fc1.out_features=8")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_cli("check", str(b), "--expect", "lr=0.01")
    assert bad.returncode == 1 and "0.02" in bad.stdout
    result = diff_reports(inspect_file(a), inspect_file(b))
    rows = {(r.path, r.name): r for r in result.rows}
    assert (rows[("", "epoch")].a, rows[("", "epoch")].b) == ("1", "3")
    assert rows[("['optimizer_state_dict']", "lr")].category == "hyperparameter"
    weight = rows[("['model_state_dict'].fc1", "weight")]
    assert weight.status == "changed" and "max abs diff" in weight.detail


def test_diff_shows_reshaped_and_added_tensors(tmp_path: Path) -> None:
    small, big = tmp_path / "small.pt", tmp_path / "big.pt"
    torch.save(nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2)).state_dict(), small)
    torch.save(nn.Sequential(nn.Linear(4, 16), nn.Linear(16, 2), nn.Linear(2, 2)
                             ).state_dict(), big)
    result = diff_reports(inspect_file(small), inspect_file(big))
    rows = {(r.path, r.name): r for r in result.rows}
    assert "shape" in rows[("0", "weight")].detail
    assert rows[("0", "out_features")].b == "16"
    assert rows[("2", "")].status == "added"


@pytest.fixture(scope="module")
def lightning_ckpt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    import pytorch_lightning as pl
    from torch.utils.data import DataLoader, TensorDataset

    class Lit(pl.LightningModule):
        def __init__(self, hidden: int = 8, lr: float = 0.01, dropout: float = 0.2) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, 1))

        def training_step(self, batch: Any, index: int) -> torch.Tensor:
            x, y = batch
            loss = (self.net(x) - y).pow(2).mean()
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self) -> Any:
            opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
            return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)]

    root = tmp_path_factory.mktemp("lightning")
    torch.manual_seed(0)
    data = DataLoader(TensorDataset(torch.randn(32, 4), torch.randn(32, 1)), batch_size=8)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         default_root_dir=root, callbacks=[
                             pl.callbacks.ModelCheckpoint(dirpath=root / "ckpts"),
                             pl.callbacks.EarlyStopping(monitor="train_loss", patience=3)])
    model = Lit(hidden=8, lr=0.01, dropout=0.2)
    trainer.fit(model, data)
    path = root / "lit.ckpt"
    trainer.save_checkpoint(path)
    return path, trainer


def test_lightning_checkpoint(lightning_ckpt: tuple[Path, Any]) -> None:
    path, trainer = lightning_ckpt
    report = inspect_file(path)
    assert report.file.format == "torch" and report.safety.verdict in ("safe", "review")
    import pytorch_lightning as pl

    assert report.versions.saved_with["pytorch-lightning"] == pl.__version__
    hp = node(report, "['hyper_parameters']")
    assert {a.name: a.value for a in hp.attributes} == {"hidden": 8, "lr": 0.01,
                                                          "dropout": 0.2}
    assert all(a.category == "hyperparameter" for a in hp.attributes)
    assert attr(report.model, "epoch").category == "auxiliary"
    assert attr(report.model, "global_step").value == trainer.global_step == 4
    stopping = next(n for n in report.nodes() if n.class_name == "callback EarlyStopping")
    assert attr(stopping, "patience").value == 3
    assert attr(stopping, "best_score").category == "auxiliary"
    checkpoint_cb = next(n for n in report.nodes() if n.class_name == "callback ModelCheckpoint")
    assert attr(checkpoint_cb, "dirpath").role == "provenance"
    layer = node(report, "['state_dict'].net.0")
    assert attr(layer, "weight").stats["shape"] == [8, 4]
    assert attr(layer, "out_features").value == 8
    oracle = torch.load(path, weights_only=True)["state_dict"]
    assert attr(layer, "weight").stats["mean"] == pytest.approx(
        oracle["net.0.weight"].double().mean().item())


def test_lightning_check_paths(lightning_ckpt: tuple[Path, Any]) -> None:
    path, _ = lightning_ckpt
    proc = run_cli("check", str(path), "--expect", "lr=0.01", "--expect",
                   "hyper_parameters.hidden=8", "--expect", "hyper_parameters.dropout=0.2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("--format", "json", str(path))
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["versions"]["saved_with"]["pytorch-lightning"]


def test_hparams_as_namespace_and_dictconfig(tmp_path: Path) -> None:
    import argparse

    from omegaconf import OmegaConf

    weights = nn.Linear(3, 2).state_dict()
    ns_path, omega_path = tmp_path / "ns.ckpt", tmp_path / "omega.ckpt"
    torch.save({"state_dict": weights, "args": argparse.Namespace(hidden=8, lr=0.02)}, ns_path)
    config = OmegaConf.create({"hidden": 16, "optim": {"lr": 0.001}})
    torch.save({"state_dict": weights, "hyper_parameters": config}, omega_path)
    ns = inspect_file(ns_path)
    assert ns.safety.verdict == "safe"
    assert {a.name: a.value for a in node(ns, "['args']").attributes} == {"hidden": 8,
                                                                          "lr": 0.02}
    omega = inspect_file(omega_path)
    assert omega.safety.verdict == "review"  # OmegaConf classes: known library, unvetted
    hp = {a.name: a.value for a in node(omega, "['hyper_parameters']").attributes}
    assert hp == {"hidden": config.hidden, "optim.lr": config.optim.lr}
    proc = run_cli("check", str(omega_path), "--expect", "hyper_parameters.optim.lr=0.001")
    assert proc.returncode == 0, proc.stdout
