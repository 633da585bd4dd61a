"""PyTorch and Lightning: state_dicts, whole-model saves and checkpoint dicts, classified.

Rules (DESIGN §1, neural networks):
- **learned**: every tensor of a state_dict or a module's ``_parameters``/``_buffers`` —
  weights, biases, BatchNorm ``running_mean``/``running_var`` (estimated from the data, used to
  predict) — grouped by module (``fc1``, ``bn`` …), plus ``total_parameters`` (count and size,
  buffers excluded as ``model.parameters()`` does; tensors sharing a storage counted once).
- **hyperparameters**: a module's public attributes (``in_features``, ``p``, ``eps``,
  ``kernel_size``, user attributes such as ``hidden_size``: set by ``__init__`` before
  training); widths inferred from a state_dict's shapes where unambiguous (Linear weight with a
  matching bias, BatchNorm running statistics, RNN weights; a convolution's kernel size);
  entries of ``hyper_parameters``/``hparams``/``config``/``args``; optimizer ``param_groups``
  settings and scheduler settings (role "training hyperparameter"). When a scheduler has
  moved ``lr``, ``lr`` is the configured ``initial_lr`` and the current one is auxiliary.
- **auxiliary**: ``num_batches_tracked``, ``epoch``, ``global_step``, ``loss``, loop
  counters, callback state (paths as provenance), the optimizer's per-parameter state (role
  "optimizer state: needed to resume training, not to predict"), scheduler counters, versions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from hpinspect.classify.compare import handle_for
from hpinspect.classify.values import describe
from hpinspect.load.objects import Stub
from hpinspect.report import Attribute, Category, Node

if TYPE_CHECKING:
    from hpinspect.load.tensors import TensorStub


def _is_tensor(value: Any) -> TypeGuard[TensorStub]:
    """Whether ``value`` is a tensor. Only the torch and safetensors readers make tensors, and
    they import :mod:`hpinspect.load.tensors` to do it: until then no value is one, and a
    scikit-learn file never imports that module (2 ms of its start-up)."""
    tensors = sys.modules.get("hpinspect.load.tensors")
    return tensors is not None and isinstance(value, tensors.TensorStub)


BUFFERS: dict[str, str] = {
    "running_mean": "running statistics (estimated from the training data)",
    "running_var": "running statistics (estimated from the training data)",
}
BOOKKEEPING_BUFFERS = frozenset({"num_batches_tracked"})
WEIGHT_ROLES = {"weight": "weights", "bias": "biases"}
HPARAM_KEYS = ("hyper_parameters", "hparams", "config", "args", "cfg", "hyperparameters",
               "hparams_initial", "datamodule_hyper_parameters")
PROGRESS_KEYS = frozenset({"epoch", "global_step", "step", "iteration", "iter", "steps",
                           "epochs", "best_epoch", "n_iter"})
DIAGNOSTIC_KEYS = ("loss", "val_loss", "train_loss", "best", "acc", "accuracy", "metric",
                   "score")
CHECKPOINT_KEYS = frozenset({"state_dict", "model", "model_state_dict", "optimizer",
                             "optimizer_state_dict", "optimizer_states", "epoch", "global_step",
                             "pytorch-lightning_version", "lr_schedulers", "scheduler",
                             *HPARAM_KEYS})
MODULE_INTERNALS = frozenset({
    "_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "_backward_hooks",
    "_backward_pre_hooks", "_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks",
    "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
    "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
    "_forward_pre_hooks_with_kwargs", "_is_full_backward_hook", "_compiled_call_impl"})
MODULE_AUX: dict[str, str] = {"training": "mode flag (train/eval), not a setting of the model",
                              "inplace": "memory optimisation, same outputs"}
GROUP_IMPLEMENTATION = frozenset({"foreach", "capturable", "differentiable", "fused"})
SCHEDULER_HPARAMS = frozenset({
    "step_size", "gamma", "milestones", "T_max", "eta_min", "factor", "patience", "threshold",
    "threshold_mode", "mode", "cooldown", "min_lrs", "base_lrs", "max_lr", "total_steps",
    "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "T_0", "T_mult",
    "power", "total_iters", "start_factor", "end_factor", "base_momentum", "max_momentum",
    "eps", "cycle_momentum", "three_phase", "lr_lambdas", "step_size_up", "step_size_down"})
PATH_KEYS = ("path", "dirpath", "best_k_models", "filename")
MAX_MODULES = 2_000
_TRAINING = "training hyperparameter"
_OPT_STATE = "optimizer state: needed to resume training, not to predict"


def _attr(name: str, value: Any, category: Category, role: str, reason: str) -> Attribute:
    desc = describe(_scalar(value))
    data = value.values if _is_tensor(value) and value.values is not None else value
    return Attribute(name, category, role, reason, desc.kind, desc.value, desc.summary,
                     desc.stats, handle=handle_for(data))


def _scalar(value: Any) -> Any:
    """A one-element tensor as its number (``best_score``, ``step``), else the value."""
    if _is_tensor(value) and value.shape == () and value.stats.min is not None:
        number = value.stats.min
        return int(number) if value.torch_dtype.startswith(("int", "uint")) else number
    return value


# ---------------------------------------------------------------------- recognition
def is_state_dict(value: Any) -> bool:
    """A mapping of string keys to tensors (a module's ``state_dict()``, a safetensors file)."""
    if not isinstance(value, dict) or not value:
        return False
    # At least max(1, n - 2) tensors: stop at the first non-tensor past the allowance, so a
    # 200k-word vocabulary is rejected after three values, not after all of them.
    allowed = len(value) - max(1, len(value) - 2)
    for v in value.values():
        if not _is_tensor(v):
            allowed -= 1
            if allowed < 0:
                return False
    return all(isinstance(k, str) for k in value)


def is_module(value: Any) -> bool:
    """A whole ``nn.Module`` save: torch.nn classes, TorchScript classes, user modules."""
    if not isinstance(value, Stub):
        return False
    attrs = value.attrs
    return value.dotted.startswith(("torch.nn.modules.", "__torch__.")) or (
        "_parameters" in attrs and "_modules" in attrs)


def is_optimizer(value: Any) -> bool:
    """An ``optimizer.state_dict()``: ``state`` and ``param_groups``."""
    return isinstance(value, dict) and isinstance(value.get("param_groups"), list) and \
        "state" in value


def is_scheduler(value: Any) -> bool:
    """An lr scheduler's ``state_dict()``."""
    return isinstance(value, dict) and "last_epoch" in value and ("base_lrs" in value or any(
        k in value for k in SCHEDULER_HPARAMS))


def is_checkpoint(value: Any) -> bool:
    """A checkpoint dict: known keys around a state_dict, a module or optimizer state."""
    if not isinstance(value, dict) or not any(key in value for key in CHECKPOINT_KEYS):
        return False  # (a few lookups first: no scan of a large dict that has none)
    if not all(isinstance(k, str) for k in value):
        return False
    return any(is_state_dict(v) or is_module(v) or is_optimizer(v) for v in value.values())


def claims(value: Any) -> bool:
    """State dicts, modules and checkpoint dicts."""
    return is_module(value) or is_checkpoint(value) or is_state_dict(value)


# ---------------------------------------------------------------------- parameters
def _tensor_attr(name: str, tensor: Any, owner: str) -> Attribute:
    if name in BOOKKEEPING_BUFFERS:
        return _attr(name, tensor, Category.AUXILIARY, "training counter",
                     "BatchNorm batch counter: counts training steps, not used to predict "
                     "(unless momentum is None)")
    if not _is_tensor(tensor):
        return _attr(name, tensor, Category.AUXILIARY, "extra state",
                     f"non-tensor entry of {owner}")
    role = BUFFERS.get(name) or WEIGHT_ROLES.get(name) or (
        "weights" if "weight" in name else "biases" if "bias" in name else "parameters")
    why = "buffer estimated from the training data, used to predict" if name in BUFFERS \
        else f"tensor of {owner}: learned by training"
    return _attr(name, tensor, Category.LEARNED, role, why)


def count_parameters(tensors: list[tuple[str, Any]]) -> Attribute:
    """``total_parameters``: elements of every non-buffer tensor, shared storages once."""
    seen: set[tuple[Any, ...]] = set()
    count = nbytes = buffers = 0
    for name, tensor in tensors:
        if not _is_tensor(tensor):
            continue
        key = (tensor.storage, tensor.offset, tensor.shape) if tensor.storage else (id(tensor),)
        leaf = name.rsplit(".", 1)[-1]
        if key in seen:
            continue
        seen.add(key)
        if leaf in BUFFERS or leaf in BOOKKEEPING_BUFFERS:
            buffers += tensor.stats.count
            continue
        count += tensor.stats.count
        nbytes += tensor.stats.nbytes
    summary = f"{count:,} parameters ({_size(nbytes)})" + (
        f", plus {buffers:,} buffer values" if buffers else "")
    return Attribute("total_parameters", Category.LEARNED, "parameter count",
                     "sum of the parameter tensors' sizes (buffers excluded, shared storages "
                     "once)", "scalar", count, summary, {"nbytes": nbytes, "buffers": buffers},
                     handle=handle_for(count))


def _size(nbytes: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


def _group(state: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    groups: dict[str, list[tuple[str, Any]]] = {}
    for key, value in state.items():
        module, _, leaf = key.rpartition(".")
        groups.setdefault(module, []).append((leaf, value))
    return groups


def _shape(tensors: dict[str, Any], name: str) -> tuple[int, ...] | None:
    value = tensors.get(name)
    return value.shape if _is_tensor(value) else None


def inferred(tensors: dict[str, Any]) -> list[Attribute]:
    """Architecture that a module's tensor shapes determine unambiguously."""
    out: list[Attribute] = []
    role = "architecture (inferred from shapes)"

    def add(name: str, value: Any, why: str) -> None:
        out.append(_attr(name, value, Category.HYPERPARAMETER, role, why))

    weight, bias = _shape(tensors, "weight"), _shape(tensors, "bias")
    running = _shape(tensors, "running_mean")
    hh, ih = _shape(tensors, "weight_hh_l0"), _shape(tensors, "weight_ih_l0")
    if running is not None and len(running) == 1:
        add("num_features", running[0], "length of BatchNorm running_mean")
    elif weight is not None and len(weight) == 2 and bias == (weight[0],):
        add("in_features", weight[1], "Linear weight shape (out_features, in_features)")
        add("out_features", weight[0], "Linear weight shape (out_features, in_features)")
    elif weight is not None and len(weight) >= 3:
        add("kernel_size", list(weight[2:]), "convolution weight shape (…, *kernel_size)")
    if hh is not None and ih is not None and len(hh) == 2 and len(ih) == 2:
        add("input_size", ih[1], "RNN weight_ih_l0 shape (gates × hidden, input_size)")
        add("hidden_size", hh[1], "RNN weight_hh_l0 shape (gates × hidden, hidden_size)")
        layers = sum(1 for k in tensors if k.startswith("weight_ih_l") and "reverse" not in k)
        add("num_layers", layers, "count of weight_ih_l<k> tensors")
    return out


def state_dict_node(sd: dict[str, Any], path: str, prefix: str, label: str,
                    cls: str = "torch.state_dict") -> Node:
    """A state_dict: one child per module with its tensors, and the total parameter count."""
    children: list[Node] = []
    attributes = [count_parameters(list(sd.items()))]
    for module, items in _group(sd).items():
        tensors = dict(items)
        attrs = inferred(tensors) + [_tensor_attr(n, t, "the state_dict") for n, t in items]
        if not module:
            attributes.extend(attrs)
            continue
        children.append(Node(f"{path}.{module}" if path else module, f"{prefix}{module}.",
                             "torch.nn.Module", True, True, tuple(attrs), label=module))
    metadata = getattr(sd, "__dict__", {}).get("__metadata__")
    if isinstance(metadata, dict):
        attributes += [_attr(k, v, Category.AUXILIARY, "provenance",
                             "safetensors __metadata__ entry") for k, v in metadata.items()]
    return Node(path, prefix, cls, True, True, tuple(attributes), tuple(children), label=label)


# ---------------------------------------------------------------------- modules
def _module_attr(name: str, value: Any, known: bool, cls: str) -> Attribute | None:
    if name in MODULE_INTERNALS:
        return None
    if name in MODULE_AUX:
        return _attr(name, value, Category.AUXILIARY, "runtime flag", MODULE_AUX[name])
    if _is_tensor(value):
        return _attr(name, value, Category.LEARNED, "tensor attribute", "tensor held by the module")
    if name.startswith("_"):
        return _attr(name, value, Category.AUXILIARY, "bookkeeping", "private module attribute")
    why = f"{cls} attribute set by __init__" if known else \
        "attribute of a user module, set by its __init__ (before training)"
    return _attr(name, value, Category.HYPERPARAMETER, "architecture", why)


def module_node(stub: Stub, path: str, prefix: str, label: str, budget: list[int]) -> Node:
    """A whole-model save: parameters, buffers, architecture, and the submodules."""
    budget[0] -= 1
    attrs = stub.attrs
    known = stub.dotted.startswith("torch.nn.modules.")
    short = stub.dotted.rsplit(".", 1)[-1]
    attributes: list[Attribute] = []
    for name, value in attrs.items():
        made = _module_attr(str(name), value, known, short)
        if made is not None:
            attributes.append(made)
    for holder in ("_parameters", "_buffers"):
        tensors = attrs.get(holder)
        if isinstance(tensors, dict):
            attributes += [_tensor_attr(str(n), t, f"{short}.{holder}") for n, t in
                           tensors.items() if t is not None]
    children = []
    modules = attrs.get("_modules")
    for name, child in (modules.items() if isinstance(modules, dict) else ()):
        if is_module(child) and budget[0] > 0:
            here = f"{path}.{name}" if path else str(name)
            children.append(module_node(child, here, f"{prefix}{name}.", str(name), budget))
    fitted = any(a.category == "learned" for a in attributes) or any(c.fitted for c in children)
    return Node(path, prefix, stub.dotted, known, fitted, tuple(attributes), tuple(children),
                label=label)


def _module_tensors(stub: Stub, prefix: str, out: list[tuple[str, Any]], depth: int) -> None:
    attrs = stub.attrs
    for holder in ("_parameters", "_buffers"):
        tensors = attrs.get(holder)
        if isinstance(tensors, dict):
            out.extend((f"{prefix}{n}", t) for n, t in tensors.items())
    modules = attrs.get("_modules")
    if isinstance(modules, dict) and depth < 64:
        for name, child in modules.items():
            if is_module(child):
                _module_tensors(child, f"{prefix}{name}.", out, depth + 1)


def whole_model_node(stub: Stub, path: str, prefix: str, label: str) -> Node:
    """A module tree with ``total_parameters`` at its top."""
    node = module_node(stub, path, prefix, label, [MAX_MODULES])
    tensors: list[tuple[str, Any]] = []
    _module_tensors(stub, "", tensors, 0)
    return Node(node.path, node.param_prefix, node.class_name, node.known, node.fitted,
                (count_parameters(tensors), *node.attributes), node.children, label=label)


# ---------------------------------------------------------------------- training state
def _group_attrs(group: dict[str, Any], pre: str) -> list[Attribute]:
    out: list[Attribute] = []
    initial = group.get("initial_lr")
    for key, value in group.items():
        name = f"{pre}{key}"
        if key == "params":
            out.append(_attr(name, value, Category.AUXILIARY, "bookkeeping",
                             "indices of the parameters this group optimises"))
        elif key == "initial_lr":
            continue
        elif key == "lr" and initial is not None:
            out.append(_attr(name, initial, Category.HYPERPARAMETER, _TRAINING,
                             "param_groups initial_lr: the learning rate set before training"))
            out.append(_attr(f"{pre}scheduled_lr", value, Category.AUXILIARY, "training state",
                             "the learning rate a scheduler had reached when saved"))
        elif key in GROUP_IMPLEMENTATION:
            out.append(_attr(name, value, Category.AUXILIARY, "implementation",
                             "optimizer implementation switch, same optimisation"))
        else:
            out.append(_attr(name, value, Category.HYPERPARAMETER, _TRAINING,
                             "optimizer param_groups setting, chosen before training"))
    return out


def _optimizer_state(state: Any) -> list[Attribute]:
    """The per-parameter moments, one attribute per kind (exp_avg, exp_avg_sq, step …)."""
    kinds: dict[str, list[Any]] = {}
    for per_param in (state.values() if isinstance(state, dict) else ()):
        if isinstance(per_param, dict):
            for key, value in per_param.items():
                kinds.setdefault(str(key), []).append(value)
    out = []
    for kind, values in kinds.items():
        tensors = [v for v in values if _is_tensor(v)]
        count = sum(t.stats.count for t in tensors)
        nbytes = sum(t.stats.nbytes for t in tensors)
        summary = f"{len(values)} per-parameter values" + (
            f", {count:,} elements ({_size(nbytes)})" if tensors else "")
        out.append(Attribute(f"state.{kind}", Category.AUXILIARY, _OPT_STATE,
                             "optimizer per-parameter state (moments, step counts)", "list",
                             len(values), summary, {"tensors": len(tensors), "nbytes": nbytes},
                             handle=handle_for([v.values if _is_tensor(v)
                                                else v for v in values])))
    return out


def optimizer_node(opt: dict[str, Any], path: str, prefix: str, label: str) -> Node:
    """``optimizer.state_dict()``: param_groups settings and per-parameter state."""
    groups = [g for g in opt.get("param_groups", []) if isinstance(g, dict)]
    attributes: list[Attribute] = []
    for i, group in enumerate(groups):
        attributes += _group_attrs(group, "" if len(groups) == 1 else f"param_groups[{i}].")
    attributes += _optimizer_state(opt.get("state"))
    keys = set(groups[0]) if groups else set()
    kind = "Adam-family" if "betas" in keys else "SGD" if "nesterov" in keys else "optimizer"
    stepped = bool(opt.get("state"))  # "fitted": the optimizer has taken steps
    return Node(path, prefix, f"torch.optim ({kind}) state_dict", True, stepped,
                tuple(attributes), label=label)


def scheduler_node(sched: dict[str, Any], path: str, prefix: str, label: str) -> Node:
    """An lr scheduler's state_dict: its settings and counters."""
    attributes = []
    for key, value in sched.items():
        if key in SCHEDULER_HPARAMS:
            attributes.append(_attr(key, value, Category.HYPERPARAMETER, _TRAINING,
                                    "learning-rate schedule setting, chosen before training"))
        else:
            attributes.append(_attr(key, value, Category.AUXILIARY, "scheduler state",
                                    "scheduler progress, needed to resume training only"))
    stepped = isinstance(sched.get("last_epoch"), int) and sched["last_epoch"] > 0
    return Node(path, prefix, "torch.optim.lr_scheduler state_dict", True, stepped,
                tuple(attributes), label=label)


def mapping_of(value: Any) -> dict[str, Any] | None:
    """The entries of a hyperparameter container: dict, Namespace, AttributeDict, DictConfig."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if not isinstance(value, Stub):
        return None
    content = value.attrs.get("_content")
    if isinstance(content, dict):  # OmegaConf DictConfig: nodes hold their value in _val
        return {str(k): (v.attrs.get("_val", v) if isinstance(v, Stub) else v)
                for k, v in content.items()}
    merged = {str(k): v for k, v in value.dict_items}
    merged.update({str(k): v for k, v in value.attrs.items()})
    return merged


def _flatten(entries: dict[str, Any], pre: str, depth: int, out: dict[str, Any]) -> None:
    for key, value in entries.items():
        inner = mapping_of(value) if depth < 3 else None
        if inner:
            _flatten(inner, f"{pre}{key}.", depth + 1, out)
        else:
            out[f"{pre}{key}"] = value


def hparams_node(value: Any, path: str, prefix: str, label: str) -> Node:
    """``hyper_parameters`` / ``hparams`` / ``config`` / ``args`` of a checkpoint."""
    flat: dict[str, Any] = {}
    _flatten(mapping_of(value) or {}, "", 0, flat)
    cls = value.dotted if isinstance(value, Stub) else "builtins.dict"
    attributes = tuple(_attr(k, v, Category.HYPERPARAMETER, "declared hyperparameter",
                             f"entry of the checkpoint's {label!r} (set before training)")
                       for k, v in flat.items())
    return Node(path, prefix, cls, True, True, attributes, label=label)


def callbacks_node(value: dict[Any, Any], path: str, prefix: str, label: str) -> Node:
    """Lightning callback state: best scores, counters, and paths of the training machine."""
    children = []
    for i, (name, state) in enumerate(value.items()):
        entries = mapping_of(state) or {"state": state}
        attributes = tuple(
            _attr(k, v, Category.AUXILIARY, "provenance" if any(p in k for p in PATH_KEYS) else
                  "callback state", "callback state: written during training, not used to "
                  "predict") for k, v in entries.items())
        short = str(name).split("{", 1)[0]
        children.append(Node(f"{path}[{i}]", f"{prefix}{short}.", f"callback {short}", True,
                             True, attributes, label=str(name)[:80]))
    return Node(path, prefix, "callbacks", True, True, (), tuple(children), label=label)


def _list_of(check: Callable[[Any], bool], value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(check(v) for v in value)


def _entry_attr(key: str, value: Any) -> Attribute:
    if key in PROGRESS_KEYS or key.endswith(("_step", "_epoch")):
        return _attr(key, value, Category.AUXILIARY, "training progress",
                     "training counter: where training stopped, not used to predict")
    if key.endswith("_version") or key == "version":
        return _attr(key, value, Category.AUXILIARY, "provenance",
                     "library version the file records")
    if any(word in key.lower() for word in DIAGNOSTIC_KEYS):
        return _attr(key, value, Category.AUXILIARY, "diagnostic",
                     "training metric recorded in the checkpoint, not used to predict")
    if key == "loops":
        return _attr(key, value, Category.AUXILIARY, "loop counters",
                     "Lightning loop progress, needed to resume training only")
    return _attr(key, value, Category.AUXILIARY, "checkpoint entry",
                 "checkpoint entry that is neither weights nor settings")


# ---------------------------------------------------------------------- checkpoints
def _kind(key: str, value: Any) -> str:
    checks: tuple[tuple[str, Callable[[Any], bool]], ...] = (
        ("state_dict", is_state_dict), ("module", is_module), ("optimizer", is_optimizer),
        ("optimizers", lambda v: _list_of(is_optimizer, v)), ("scheduler", is_scheduler),
        ("schedulers", lambda v: _list_of(is_scheduler, v)))
    if key in HPARAM_KEYS and mapping_of(value) is not None:
        return "hparams"
    if key == "callbacks" and isinstance(value, dict):
        return "callbacks"
    return next((name for name, check in checks if check(value)), "entry")


class _Checkpoint:
    """Builds the node of one checkpoint dict (first optimizer/scheduler at the top prefix)."""

    def __init__(self, builder: Any, path: str, prefix: str) -> None:
        self.builder = builder
        self.path = path
        self.prefix = prefix
        self.top_taken: set[str] = set()
        self.children: list[Node] = []
        self.attributes: list[Attribute] = []

    def _prefix(self, family: str, key: str) -> str:
        if family in self.top_taken:
            return f"{self.prefix}{key}."
        self.top_taken.add(family)
        return self.prefix

    def add(self, key: str, value: Any) -> None:
        here = f"{self.path}[{key!r}]"
        kind = _kind(key, value)
        sub = f"{self.prefix}{key}."
        makers: dict[str, Callable[[], list[Node]]] = {
            "hparams": lambda: [hparams_node(value, here, sub, key)],
            "state_dict": lambda: [state_dict_node(value, here, sub, key)],
            "module": lambda: [whole_model_node(value, here, sub, key)],
            "optimizer": lambda: [optimizer_node(value, here, self._prefix("opt", key), key)],
            "optimizers": lambda: [optimizer_node(v, f"{here}[{i}]", self._prefix(
                "opt", f"{key}[{i}]"), f"{key}[{i}]") for i, v in enumerate(value)],
            "scheduler": lambda: [scheduler_node(value, here, self._prefix("lrs", key), key)],
            "schedulers": lambda: [scheduler_node(v, f"{here}[{i}]", self._prefix(
                "lrs", f"{key}[{i}]"), f"{key}[{i}]") for i, v in enumerate(value)],
            "callbacks": lambda: [callbacks_node(value, here, sub, key)],
        }
        if kind in makers:
            self.children.extend(makers[kind]())
        elif self.builder.is_estimator(value):
            self.children.append(self.builder.node(value, here, sub, key))
        else:
            self.attributes.append(_entry_attr(key, value))
        if key == "pytorch-lightning_version" and isinstance(value, str):
            self.builder.saved_versions.setdefault("pytorch-lightning", value)


def checkpoint_node(builder: Any, ckpt: dict[str, Any], path: str, prefix: str,
                    label: str) -> Node:
    """A checkpoint dict: model weights, settings, optimizer and scheduler, training state."""
    maker = _Checkpoint(builder, path, prefix)
    for key, value in ckpt.items():
        maker.add(str(key), value)
    lightning = "pytorch-lightning_version" in ckpt
    cls = "pytorch_lightning checkpoint" if lightning else "torch checkpoint"
    fitted = any(c.fitted for c in maker.children)
    return Node(path, prefix, cls, True, fitted, tuple(maker.attributes),
                tuple(maker.children), label=label or ("Lightning" if lightning else ""))


def build(builder: Any, value: Any, path: str, prefix: str, label: str) -> Node:
    """The node of a module, a checkpoint dict or a state_dict."""
    if is_module(value):
        return whole_model_node(value, path, prefix, label)
    if is_checkpoint(value):
        return checkpoint_node(builder, value, path, prefix, label)
    return state_dict_node(value, path, prefix, label)
