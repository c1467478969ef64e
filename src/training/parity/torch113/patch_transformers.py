"""Three edits that let transformers 4.57 (unpacked from its wheel into SITE) run on torch 1.13; idempotent.

    python3 patch_transformers.py SITE

1. transformers turns torch off below 2.1: accept 1.13.
2. one module imports torch.distributed.tensor (torch >= 2.4) whenever torch.distributed exists: skip it.
3. it assumes scaled_dot_product_attention (torch >= 2.0): where torch lacks it, models fall back to eager attention,
   as they do when SDPA is unavailable.
"""
import os
import sys

MARK = "# parity fixtures: torch 1.13"
EDITS = [
    ("transformers/utils/import_utils.py",
     'version.parse(_torch_version) >= version.parse("2.1.0")',
     f'version.parse(_torch_version) >= version.parse("1.13.0a0")  {MARK}'),
    ("transformers/model_debugging_utils.py",
     "    if torch.distributed.is_available():\n        import torch.distributed.tensor\n",
     f"    if False:  {MARK}\n        import torch.distributed.tensor\n"),
    ("transformers/modeling_utils.py",
     "        if not self._supports_sdpa:\n            raise ValueError(",
     f"        if not hasattr(torch.nn.functional, 'scaled_dot_product_attention'):  {MARK}\n"
     "            raise ImportError('this torch has no scaled_dot_product_attention')\n"
     "        if not self._supports_sdpa:\n            raise ValueError("),
]


def main(site):
    for relative, old, new in EDITS:
        path = os.path.join(site, relative)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if new in text:
            continue
        if old not in text:
            raise SystemExit(f"{path}: the code to edit is not there (another transformers version?)")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))
        print("edited", relative)


if __name__ == "__main__":
    main(sys.argv[1])
