#!/usr/bin/python3
"""Writes tokenizer.json (Hugging Face tokenizers format) for OpenAI CLIP's BPE tokenizer.

The vocabulary is built exactly as OpenAI CLIP's simple_tokenizer.py builds it from
bpe_simple_vocab_16e6.txt.gz, and the pipeline (normalizer, pre-tokenizer, model, post-processor,
decoder) is the one transformers' CLIPConverter produces, i.e. the tokenizer.json published with
openai/clip-vit-large-patch14. Standard library only; the output is byte-for-byte reproducible.

Usage: /usr/bin/python3 make_tokenizer_json.py [merges.txt.gz] [tokenizer.json]
(defaults: the files next to this script)
"""
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
# CLIP uses the first 49152 - 256 - 2 merges: 256 byte tokens, 256 byte+</w> tokens, the merges
# and the 2 special tokens make a vocabulary of 49408.
MERGE_COUNT = 49152 - 256 - 2
VOCAB_SIZE = 49408
# transformers' CLIPConverter: CLIP's word split, without the special-token alternatives
# (added tokens are matched before pre-tokenization).
CLIP_SPLIT_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"


def bytes_to_unicode():
    """GPT-2/CLIP's reversible map from bytes to printable unicode characters, in CLIP's order."""
    printable = (list(range(ord("!"), ord("~") + 1))
                 + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    byte_values = printable[:]
    code_points = printable[:]
    extra = 0
    for b in range(256):
        if b not in byte_values:
            byte_values.append(b)
            code_points.append(256 + extra)
            extra += 1
    return dict(zip(byte_values, map(chr, code_points)))


def read_merges(path):
    lines = gzip.open(path).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:MERGE_COUNT + 1]]
    if len(merges) != MERGE_COUNT or any(len(pair) != 2 for pair in merges):
        raise ValueError(f"{path}: expected {MERGE_COUNT} merge pairs after the header line")
    return merges


def build_vocab(merges):
    """Token -> id, in the order of simple_tokenizer.SimpleTokenizer.__init__."""
    tokens = list(bytes_to_unicode().values())
    tokens += [token + "</w>" for token in tokens]
    tokens += ["".join(pair) for pair in merges]
    tokens += [START_OF_TEXT, END_OF_TEXT]
    if len(tokens) != VOCAB_SIZE or len(set(tokens)) != VOCAB_SIZE:
        raise ValueError(f"expected {VOCAB_SIZE} distinct tokens, got {len(set(tokens))} of {len(tokens)}")
    return {token: token_id for token_id, token in enumerate(tokens)}


def added_token(token_id, content):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": True, "special": True}


def tokenizer_json(vocab, merges):
    """The tokenizer.json of a CLIP BPE vocabulary (token -> id) and its merges (pairs, by rank), such as a slow
    transformers CLIPTokenizer holds; the export of diffusers checkpoints uses it too."""
    start_id, end_id = vocab[START_OF_TEXT], vocab[END_OF_TEXT]
    # Key order follows the tokenizers library's own serialization; vocab is written in id order.
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added_token(start_id, START_OF_TEXT), added_token(end_id, END_OF_TEXT)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
            {"type": "Lowercase"},
        ]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT_REGEX}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ]},
        "post_processor": {"type": "RobertaProcessing", "sep": [END_OF_TEXT, end_id],
                           "cls": [START_OF_TEXT, start_id], "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": END_OF_TEXT,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "</w>",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": dict(sorted(vocab.items(), key=lambda item: item[1])),
            "merges": [" ".join(pair) for pair in merges],
        },
    }


def main(args):
    merges_path = Path(args[0]) if args else HERE / "bpe_simple_vocab_16e6.txt.gz"
    output_path = Path(args[1]) if len(args) > 1 else HERE / "tokenizer.json"
    merges = read_merges(merges_path)
    write(tokenizer_json(build_vocab(merges), merges), output_path)
    print(f"wrote {output_path}")


def write(tokenizer, path):
    """Writes tokenizer.json as this script always has, so the same vocabulary gives the same bytes."""
    text = json.dumps(tokenizer, ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
