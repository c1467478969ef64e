"""Stable Diffusion's three networks at small scale: VAE, text encoder over CLIP ids, conditional UNet.

Every module is fully convolutional or attention-based over flattened positions, so the traced
TorchScript files accept any batch size and any latent size divisible by 2**(levels-1).
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

CLIP_VOCAB_SIZE = 49408


def group_norm(channels):
    """GroupNorm with up to 32 groups of at least 4 channels (fewer for narrow layers)."""
    groups = 32
    while groups > 1 and (channels % groups or channels // groups < 4):
        groups //= 2
    return nn.GroupNorm(groups, channels, eps=1e-6)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice with the embedding between (SD's ResnetBlock2D).

    With scale_shift the embedding scales and shifts the second GroupNorm's output per channel
    (diffusers' resnet_time_scale_shift="scale_shift"), which lets the pooled text steer whole-image
    properties such as the background colour more directly than an added bias.
    """

    def __init__(self, in_ch, out_ch, emb_dim=0, scale_shift=False):
        super().__init__()
        self.scale_shift = scale_shift
        self.norm1 = group_norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb_proj = nn.Linear(emb_dim, out_ch * (2 if scale_shift else 1)) if emb_dim else None
        self.norm2 = group_norm(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.emb_proj is None:
            h = self.norm2(h)
        elif self.scale_shift:
            scale, shift = self.emb_proj(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
        else:
            h = self.norm2(h + self.emb_proj(F.silu(emb))[:, :, None, None])
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


class Attention(nn.Module):
    """Multi-head attention of x [B,N,C] over context [B,M,Cc] (self-attention when context is x)."""

    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context):
        b = x.shape[0]
        head_dim = x.shape[2] // self.heads
        q = self.to_q(x).reshape(b, -1, self.heads, head_dim).transpose(1, 2)
        k = self.to_k(context).reshape(b, -1, self.heads, head_dim).transpose(1, 2)
        v = self.to_v(context).reshape(b, -1, self.heads, head_dim).transpose(1, 2)
        weights = torch.softmax(q @ k.transpose(-1, -2) * (head_dim ** -0.5), dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, -1, self.heads * head_dim)
        return self.to_out(out)


class FeedForward(nn.Module):
    """GEGLU feed-forward, as in SD's transformer blocks."""

    def __init__(self, dim, mult=4):
        super().__init__()
        self.proj_in = nn.Linear(dim, dim * mult * 2)
        self.proj_out = nn.Linear(dim * mult, dim)

    def forward(self, x):
        h, gate = self.proj_in(x).chunk(2, dim=-1)
        return self.proj_out(h * F.gelu(gate))


class SpatialTransformer(nn.Module):
    """SD's Transformer2DModel with one BasicTransformerBlock: self-attention, cross-attention, FF."""

    def __init__(self, channels, context_dim, heads):
        super().__init__()
        self.norm = group_norm(channels)
        self.proj_in = nn.Conv2d(channels, channels, 1)
        self.norm1 = nn.LayerNorm(channels)
        self.self_attn = Attention(channels, channels, heads)
        self.norm2 = nn.LayerNorm(channels)
        self.cross_attn = Attention(channels, context_dim, heads)
        self.norm3 = nn.LayerNorm(channels)
        self.ff = FeedForward(channels)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x, context):
        h = self.proj_in(self.norm(x))
        tokens = h.flatten(2).transpose(1, 2)
        normed = self.norm1(tokens)
        tokens = tokens + self.self_attn(normed, normed)
        tokens = tokens + self.cross_attn(self.norm2(tokens), context)
        tokens = tokens + self.ff(self.norm3(tokens))
        h = tokens.transpose(1, 2).reshape(h.shape)
        return x + self.proj_out(h)


def guidance_scale_embedding(w, dim):
    """The guidance-scale embedding of a guidance-distilled UNet's timestep_cond, as diffusers'
    get_guidance_scale_embedding: sines then cosines of 1000 w at geometric frequencies (VDM), a zero pad for an
    odd dim. Pipelines give it w = guidance_scale - 1 (Imagen's guidance formula, one more than the LCM paper's w)."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32) * -(torch.log(torch.tensor(10000.0)) / (half - 1)))
    args = (w.float() * 1000.0)[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
    return F.pad(emb, (0, dim % 2))


def timestep_embedding(timesteps, dim, max_period=10000.0):
    """Sinusoidal embedding of float timesteps [B] -> [B, dim] (cos first, as diffusers' flip_sin_to_cos)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = timesteps.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TextEncoder(nn.Module):
    """A small transformer over CLIP token ids: int64 [B,77] -> float32 [B,77,D].

    `id_map` sends every CLIP id (0..49407) to a compact vocabulary (unknown ids -> UNK), so the
    file stays small yet accepts any CLIP id; int16 is enough for the compact indices and keeps it small.
    """

    def __init__(self, known_clip_ids, dim, layers, heads, max_length=77):
        super().__init__()
        unk = len(known_clip_ids)
        id_map = torch.full((CLIP_VOCAB_SIZE,), unk, dtype=torch.int16)
        id_map[torch.tensor(sorted(known_clip_ids), dtype=torch.int64)] = torch.arange(
            len(known_clip_ids), dtype=torch.int16)
        self.register_buffer("id_map", id_map)
        self.token_embedding = nn.Embedding(unk + 1, dim)
        self.position_embedding = nn.Parameter(torch.randn(max_length, dim) * 0.02)
        self.blocks = nn.ModuleList([TextBlock(dim, heads) for _ in range(layers)])
        self.final_norm = nn.LayerNorm(dim)
        self.hidden_size = dim

    def forward(self, input_ids):
        ids = self.id_map[input_ids.clamp(0, CLIP_VOCAB_SIZE - 1)].long()
        x = self.token_embedding(ids) + self.position_embedding[None, :, :]
        for block in self.blocks:
            x = block(x)
        return self.final_norm(x)


class TextBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x):
        normed = self.norm1(x)
        x = x + self.attn(normed, normed)
        return x + self.ff(self.norm2(x))


class AttentionPool(nn.Module):
    """Pools the context [B,77,D] into one vector with a learned query (the pooled text of SDXL)."""

    def __init__(self, context_dim, heads):
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, context_dim) * 0.02)
        self.attn = Attention(context_dim, context_dim, heads)

    def forward(self, context):
        query = self.query.expand(context.shape[0], -1, -1)
        return self.attn(query, context)[:, 0, :]


class UNet(nn.Module):
    """SD's UNet2DConditionModel in miniature: (sample [B,4,h,w], timestep [B], context [B,77,D]) -> eps.

    With time_cond_dim, also timestep_cond [B,time_cond_dim] (a guidance-distilled model's guidance-scale
    embedding), projected without bias and added to the sinusoidal timestep embedding before the time MLP, as
    diffusers' TimestepEmbedding does with time_cond_proj_dim. The projection starts at zero, so a UNet that
    takes it starts out as the same network without it.
    """

    def __init__(self, context_dim, channels=(64, 128, 128), attention=(False, True, True),
                 blocks_per_level=2, heads=4, in_channels=4, pooled_text=True, scale_shift=False, time_cond_dim=0):
        super().__init__()
        self.time_dim = channels[0]
        emb_dim = channels[0] * 4
        self.cond_proj = nn.Linear(time_cond_dim, channels[0], bias=False) if time_cond_dim else None
        if self.cond_proj is not None:
            nn.init.zeros_(self.cond_proj.weight)
        self.time_mlp = nn.Sequential(nn.Linear(channels[0], emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.text_pool = AttentionPool(context_dim, heads) if pooled_text else None
        self.text_mlp = nn.Sequential(nn.Linear(context_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)) \
            if pooled_text else None
        self.conv_in = nn.Conv2d(in_channels, channels[0], 3, padding=1)

        self.down = nn.ModuleList()
        skip_channels = [channels[0]]
        ch = channels[0]
        for level, out_ch in enumerate(channels):
            for _ in range(blocks_per_level):
                self.down.append(UNetLayer(ch, out_ch, emb_dim, context_dim, heads, attention[level], scale_shift))
                ch = out_ch
                skip_channels.append(ch)
            if level < len(channels) - 1:
                self.down.append(Downsample(ch))
                skip_channels.append(ch)

        self.mid = nn.ModuleList([UNetLayer(ch, ch, emb_dim, context_dim, heads, True, scale_shift),
                                  UNetLayer(ch, ch, emb_dim, context_dim, heads, False, scale_shift)])

        self.up = nn.ModuleList()
        for level in reversed(range(len(channels))):
            out_ch = channels[level]
            for _ in range(blocks_per_level + 1):
                self.up.append(UNetLayer(ch + skip_channels.pop(), out_ch, emb_dim, context_dim, heads,
                                         attention[level], scale_shift))
                ch = out_ch
            if level > 0:
                self.up.append(Upsample(ch))

        self.norm_out = group_norm(ch)
        self.conv_out = nn.Conv2d(ch, in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, sample, timestep, context, timestep_cond=None):
        time = timestep_embedding(timestep, self.time_dim)
        if self.cond_proj is not None:
            time = time + self.cond_proj(timestep_cond)
        emb = self.time_mlp(time)
        if self.text_pool is not None:
            emb = emb + self.text_mlp(self.text_pool(context))
        h = self.conv_in(sample)
        skips = [h]
        for layer in self.down:
            h = layer(h, emb, context)
            skips.append(h)
        for layer in self.mid:
            h = layer(h, emb, context)
        for layer in self.up:
            if isinstance(layer, Upsample):
                h = layer(h, emb, context)
            else:
                h = layer(torch.cat([h, skips.pop()], dim=1), emb, context)
        return self.conv_out(F.silu(self.norm_out(h)))


class UNetLayer(nn.Module):
    def __init__(self, in_ch, out_ch, emb_dim, context_dim, heads, attention, scale_shift=False):
        super().__init__()
        self.res = ResBlock(in_ch, out_ch, emb_dim, scale_shift)
        self.attn = SpatialTransformer(out_ch, context_dim, heads) if attention else None

    def forward(self, x, emb, context):
        x = self.res(x, emb)
        return self.attn(x, context) if self.attn is not None else x


class Downsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x, emb=None, context=None):
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x, emb=None, context=None):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class VaeEncoder(nn.Module):
    """image [B,3,H,W] in [-1,1] -> (mean, logvar) [B,4,H/f,W/f], f = 2**(len(channels)-1).

    The full-resolution level has only the input conv: flat-colour images need little work there,
    and it is the most expensive resolution on a CPU.
    """

    def __init__(self, channels=(16, 32, 64), latent_channels=4):
        super().__init__()
        layers = [nn.Conv2d(3, channels[0], 3, padding=1)]
        ch = channels[0]
        for level, out_ch in enumerate(channels):
            if level > 0:
                layers.append(ResBlock(ch, out_ch))
                ch = out_ch
            if level < len(channels) - 1:
                layers.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        layers += [ResBlock(ch, ch), group_norm(ch), nn.SiLU(), nn.Conv2d(ch, 2 * latent_channels, 3, padding=1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, image):
        mean, logvar = self.layers(image).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)


class VaeDecoder(nn.Module):
    """latents [B,4,h,w] (unscaled) -> image [B,3,h*f,w*f]; clamped to [-1,1] outside training."""

    def __init__(self, channels=(16, 32, 64), latent_channels=4):
        super().__init__()
        ch = channels[-1]
        layers = [nn.Conv2d(latent_channels, ch, 3, padding=1), ResBlock(ch, ch)]
        for level in reversed(range(1, len(channels))):
            layers.append(ResBlock(ch, channels[level]))
            ch = channels[level]
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(ch, channels[level - 1], 3, padding=1)]
            ch = channels[level - 1]
        # one full-resolution block (unlike the encoder): it sharpens the shapes' edges
        layers += [ResBlock(ch, ch), group_norm(ch), nn.SiLU(), nn.Conv2d(ch, 3, 3, padding=1)]
        self.layers = nn.Sequential(*layers)

    def forward(self, latents):
        image = self.layers(latents)
        return image if self.training else image.clamp(-1.0, 1.0)


class VaeEncoderMean(nn.Module):
    """The exported encoder: the latent distribution's mean only (as diffusers' latent_dist.mean)."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, image):
        return self.encoder(image)[0]


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())
