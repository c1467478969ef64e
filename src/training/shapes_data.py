"""The training world: one coloured shape on a solid background, 64x64, with grammar captions."""
import numpy as np

IMAGE_SIZE = 64
PALETTE = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "orange": (245, 140, 30),
    "purple": (140, 60, 180),
    "white": (240, 240, 240),
    "black": (25, 25, 25),
}
COLORS = list(PALETTE)
SHAPES = ["circle", "square", "triangle"]
SIZES = ["small", "large"]
SIZE_RANGES = {"small": (0.32, 0.40), "large": (0.58, 0.72)}  # side or diameter, fraction of the width
CENTER_JITTER = 0.09  # centre within +-9% of the image centre
EMPTY_CAPTION_RATE = 0.1
TEMPLATE_WEIGHTS = (0.45, 0.35, 0.2)  # size+colour+shape+bg, colour+shape+bg, colour+shape
SUPERSAMPLE = 4  # antialiasing: each pixel is the mean of SUPERSAMPLE^2 sub-pixel samples

_PALETTE_ARRAY = np.array([PALETTE[c] for c in COLORS], dtype=np.float32)


def random_attributes(rng, n):
    """n scenes as integer arrays: colour, background (never the colour), shape, size index."""
    color = rng.integers(0, len(COLORS), n)
    bg = (color + rng.integers(1, len(COLORS), n)) % len(COLORS)
    shape = rng.integers(0, len(SHAPES), n)
    size = rng.integers(0, len(SIZES), n)
    return {"color": color, "bg": bg, "shape": shape, "size": size}


def render(rng, attrs):
    """uint8 images [n,64,64,3] of the scenes in attrs, with random extent and centre."""
    n = len(attrs["color"])
    lo = np.array([SIZE_RANGES[s][0] for s in SIZES])[attrs["size"]]
    hi = np.array([SIZE_RANGES[s][1] for s in SIZES])[attrs["size"]]
    extent = rng.uniform(lo, hi) * IMAGE_SIZE
    cx = IMAGE_SIZE / 2 + rng.uniform(-CENTER_JITTER, CENTER_JITTER, n) * IMAGE_SIZE
    cy = IMAGE_SIZE / 2 + rng.uniform(-CENTER_JITTER, CENTER_JITTER, n) * IMAGE_SIZE
    grid = IMAGE_SIZE * SUPERSAMPLE
    coords = (np.arange(grid, dtype=np.float32) + 0.5) / SUPERSAMPLE
    x = coords[None, None, :]
    y = coords[None, :, None]
    half = (extent / 2)[:, None, None]
    dx = x - cx[:, None, None]
    dy = y - cy[:, None, None]
    shape = attrs["shape"][:, None, None]
    circle = dx * dx + dy * dy <= half * half
    square = (np.abs(dx) <= half) & (np.abs(dy) <= half)
    # upright isosceles triangle, base = height = extent, centred on its bounding box
    triangle = (np.abs(dy) <= half) & (np.abs(dx) <= (dy + half) / 2)
    mask = np.where(shape == 0, circle, np.where(shape == 1, square, triangle))
    coverage = mask.reshape(n, IMAGE_SIZE, SUPERSAMPLE, IMAGE_SIZE, SUPERSAMPLE).mean(axis=(2, 4))
    fg = _PALETTE_ARRAY[attrs["color"]][:, None, None, :]
    bg = _PALETTE_ARRAY[attrs["bg"]][:, None, None, :]
    image = bg + coverage[..., None].astype(np.float32) * (fg - bg)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def caption(rng, color, bg, shape, size, allow_empty=True, template_weights=TEMPLATE_WEIGHTS):
    """One caption for a scene, in one of the three templates, or '' at EMPTY_CAPTION_RATE."""
    if allow_empty and rng.random() < EMPTY_CAPTION_RATE:
        return ""
    c, b, s, z = COLORS[color], COLORS[bg], SHAPES[shape], SIZES[size]
    # the full template most often: it carries size and background, the hardest attributes to learn
    template = rng.choice(3, p=template_weights)
    if template == 0:
        return f"a {z} {c} {s} on a {b} background"
    if template == 1:
        return f"a {c} {s} on a {b} background"
    return f"a {c} {s}"


def grammar_words():
    """Every word the captions use (for the text encoder's compact vocabulary)."""
    return sorted(set(COLORS + SHAPES + SIZES + ["a", "on", "background"]))


def to_tensor_range(images_uint8):
    """uint8 [n,H,W,3] -> float32 [n,3,H,W] in [-1,1]."""
    return (images_uint8.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2)
