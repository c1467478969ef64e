"""Stand-ins for the torch >= 2 names that transformers 4.57 and diffusers 0.30 import or call, so that both run on
Debian's torch 1.13 for the parity fixtures (make_fixtures.sh puts this folder first on PYTHONPATH). Each only fills
a gap: where torch has the name, nothing changes. None of them is on a path the fixtures compute with."""
import inspect
import sys
import types

import torch
import torch.nn as nn
import torch.utils._pytree as pytree


def _identity_decorator(fn=None, recursive=True):
    return fn if fn is not None else (lambda f: f)


if not hasattr(pytree, "register_pytree_node"):  # torch 2.2 made it public
    def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None, **_):
        pytree._register_pytree_node(cls, flatten_fn, unflatten_fn)

    pytree.register_pytree_node = register_pytree_node

for _name in ("compiler", "_dynamo"):  # nothing is compiled on torch 1.13
    if not hasattr(torch, _name):
        _module = types.ModuleType("torch." + _name)
        _module.is_compiling = lambda: False
        _module.is_dynamo_compiling = lambda: False
        _module.disable = _identity_decorator
        _module.allow_in_graph = lambda fn: fn
        setattr(torch, _name, _module)
        sys.modules["torch." + _name] = _module


class _AbsentDtype:
    """A dtype torch 1.13 lacks: transformers names them in tables, never makes tensors of them."""
    is_floating_point = False
    itemsize = 1

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name} (absent in torch {torch.__version__})"


for _name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
              "float4_e2m1fn_x2", "uint16", "uint32", "uint64"):
    if not hasattr(torch, _name):
        setattr(torch, _name, _AbsentDtype(_name))

if "remove_duplicate" not in inspect.signature(nn.Module.named_parameters).parameters:  # torch 2.0
    _named_parameters, _named_buffers = nn.Module.named_parameters, nn.Module.named_buffers

    def _with_duplicates(module, attribute, prefix, recurse):
        modules = module.named_modules(prefix=prefix, remove_duplicate=False) if recurse else [(prefix, module)]
        for module_prefix, child in modules:
            for name, value in getattr(child, attribute).items():
                if value is not None:
                    yield (module_prefix + ("." if module_prefix else "") + name, value)

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        if remove_duplicate:
            return _named_parameters(self, prefix=prefix, recurse=recurse)
        return _with_duplicates(self, "_parameters", prefix, recurse)

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        if remove_duplicate:
            return _named_buffers(self, prefix=prefix, recurse=recurse)
        return _with_duplicates(self, "_buffers", prefix, recurse)

    nn.Module.named_parameters = named_parameters
    nn.Module.named_buffers = named_buffers

if "assign" not in inspect.signature(nn.Module.load_state_dict).parameters:  # torch 2.1
    _load_state_dict = nn.Module.load_state_dict

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """assign=True (how transformers loads weights into a model made on the meta device): the given tensors
        become the parameters and buffers, instead of being copied into them."""
        if not assign:
            return _load_state_dict(self, state_dict, strict=strict)
        unexpected = []
        for key, tensor in state_dict.items():
            path, _, name = key.rpartition(".")
            owner = self.get_submodule(path) if path else self
            if name in owner._parameters:
                old = owner._parameters[name]
                requires_grad = old.requires_grad if old is not None else True
                owner._parameters[name] = (tensor if isinstance(tensor, nn.Parameter)
                                           else nn.Parameter(tensor, requires_grad=requires_grad))
            elif name in owner._buffers:
                owner._buffers[name] = tensor
            else:
                unexpected.append(key)
        own = set(dict(self.named_parameters())) | set(dict(self.named_buffers()))
        missing = sorted(own - set(state_dict))
        if strict and (missing or unexpected):
            raise RuntimeError(f"load_state_dict(assign=True): missing {missing}, unexpected {unexpected}")
        return nn.modules.module._IncompatibleKeys(missing, unexpected)

    nn.Module.load_state_dict = load_state_dict
