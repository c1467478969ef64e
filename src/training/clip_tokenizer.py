"""OpenAI CLIP's byte-level BPE (simple_tokenizer.py), enough for the training captions.

Captions are lower-case ASCII, so the ftfy/html cleanup of the original is reduced to whitespace
collapsing, and the \\p{L}/\\p{N} classes of its regex are approximated with Python's `re`.
"""
import functools
import gzip
import os
import re

BOS_ID = 49406
EOS_ID = 49407
PAD_ID = EOS_ID  # Stable Diffusion pads CLIP input with <|endoftext|>
MAX_LENGTH = 77
_BUNDLED_BPE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clip", "bpe_simple_vocab_16e6.txt.gz")

_WORD_PATTERN = re.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+""",
    re.IGNORECASE)


@functools.lru_cache()
def bytes_to_unicode():
    """Byte -> printable unicode character table of GPT-2/CLIP byte-level BPE."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _pairs(word):
    return set(zip(word, word[1:]))


class ClipTokenizer:
    def __init__(self, bpe_path=None):
        bpe_path = bpe_path or os.environ.get("CLIP_BPE_PATH") or _BUNDLED_BPE_PATH
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in merges[1:49152 - 256 - 2 + 1]]
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab.extend("".join(m) for m in merges)
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.decoder = {i: token for token, i in self.encoder.items()}
        self.bpe_ranks = {merge: i for i, merge in enumerate(merges)}
        self.merges = merges
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            merged = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    merged.extend(word[i:])
                    break
                merged.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        result = " ".join(word)
        self.cache[token] = result
        return result

    def encode(self, text):
        """Token ids without <|startoftext|>/<|endoftext|>."""
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for word in _WORD_PATTERN.findall(text):
            word = "".join(self.byte_encoder[b] for b in word.encode("utf-8"))
            ids.extend(self.encoder[piece] for piece in self.bpe(word).split(" "))
        return ids

    def input_ids(self, text, max_length=MAX_LENGTH):
        """[BOS] ids [EOS] padded with PAD_ID (= EOS) and truncated to max_length, as SD feeds CLIP."""
        ids = [BOS_ID] + self.encode(text)[:max_length - 2] + [EOS_ID]
        return ids + [PAD_ID] * (max_length - len(ids))

    def grammar_clip_ids(self, words):
        """CLIP ids of the given words plus BOS/EOS: the text encoder's compact vocabulary."""
        ids = {BOS_ID, EOS_ID}
        for word in words:
            ids.update(self.encode(word))
        return sorted(ids)
