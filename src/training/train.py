"""Trains the bundled "shapes" model from scratch (VAE, text encoder, UNet), exports it and measures it.

    OPENBLAS_NUM_THREADS=1 nice -n 10 /usr/bin/python3 src/training/train.py --out src/main/models/shapes

Fixed seeds; about 50 minutes on 2 CPU cores. Stages: (1) VAE on freshly rendered images; (2) a pool
of rendered scenes encoded once to latent means, scaling_factor = 1/std; (3) text encoder + UNet,
DDPM with SD 1.5's schedule, epsilon prediction, min-SNR weighting, EMA; (4) export through
model_folder (the same writer as export_diffusers.py); (5) guidance sweep and adherence figures with
the judge, measured on the exported TorchScript files; a sample grid.
"""
import os

# Before torch loads libgomp: OpenMP's default spin-wait makes 2 threads 10-50x slower as soon as another
# process takes a core (measured on the shared 2-core build machine); a short spin keeps them fast.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

import argparse
import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import evaluate
import judge
import model_folder
import sampling
import shapes_data
from clip_tokenizer import ClipTokenizer
from models import TextEncoder, UNet, VaeDecoder, VaeEncoder, VaeEncoderMean, count_parameters

HERE = os.path.dirname(os.path.abspath(__file__))
# SD 1.5's scheduler, but with "linspace" timesteps, which start at the last training timestep (999): measured on
# this model with DPM-Solver++ 2M, guidance 2.5, "leading" (which starts at 951 for 20 steps) follows the size word
# in 91-94% of prompts against 95.5% (RECIPE.md, item 8); the evaluator samples with "linspace" too.
SCHEDULER_CONFIG = dict(model_folder.SD15_SCHEDULER_CONFIG, timestep_spacing="linspace")


def log(start, message):
    print(f"[{(time.time() - start) / 60:5.1f} min] {message}", flush=True)


def cosine_lr(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def set_lr(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def train_vae(args, rng, start):
    encoder = VaeEncoder(args.vae_channels)
    decoder = VaeDecoder(args.vae_channels)
    log(start, f"VAE: {count_parameters(encoder) + count_parameters(decoder)} parameters")
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.vae_lr, weight_decay=0.0)
    for step in range(args.vae_steps):
        set_lr(optimizer, cosine_lr(step, args.vae_steps, args.vae_lr, 50))
        attrs = shapes_data.random_attributes(rng, args.vae_batch)
        images = torch.from_numpy(shapes_data.to_tensor_range(shapes_data.render(rng, attrs)))
        mean, logvar = encoder(images)
        latents = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        reconstruction = decoder(latents)
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
        loss = F.mse_loss(reconstruction, images) + F.l1_loss(reconstruction, images) + args.kl_weight * kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == args.vae_steps - 1:
            log(start, f"VAE step {step}: loss {loss.item():.5f} mse {F.mse_loss(reconstruction, images).item():.5f} "
                       f"kl {kl.item():.3f}")
    encoder.eval()
    decoder.eval()
    check_vae(encoder, decoder, rng, start)
    return encoder, decoder


def check_vae(encoder, decoder, rng, start, n=200):
    """The judge on VAE reconstructions of fresh scenes: the ceiling for the whole model's adherence."""
    attrs = shapes_data.random_attributes(rng, n)
    attrs["bg_named"] = np.ones(n, dtype=bool)
    images = torch.from_numpy(shapes_data.to_tensor_range(shapes_data.render(rng, attrs)))
    with torch.no_grad():
        decoded = decoder(encoder(images)[0])
    mse = F.mse_loss(decoded, images).item()
    decoded = ((decoded + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    result = judge.adherence(decoded, attrs, np.ones(n, dtype=bool))
    log(start, f"VAE reconstructions: mse {mse:.5f}, judge {evaluate.format_result(result)}")


def encode_pool(encoder, rng, size):
    """Renders `size` scenes and encodes them once: the UNet trains on these latents."""
    attrs = shapes_data.random_attributes(rng, size)
    latents = []
    with torch.no_grad():
        for begin in range(0, size, 250):
            part = {k: v[begin:begin + 250] for k, v in attrs.items()}
            images = torch.from_numpy(shapes_data.to_tensor_range(shapes_data.render(rng, part)))
            latents.append(encoder(images)[0])
    return torch.cat(latents), attrs


class CaptionIds:
    """Caches CLIP input ids per caption (there are only a few thousand distinct captions)."""

    def __init__(self):
        self.tokenizer = ClipTokenizer()
        self.cache = {}

    def __call__(self, captions):
        for text in captions:
            if text not in self.cache:
                self.cache[text] = self.tokenizer.input_ids(text)
        return torch.tensor([self.cache[text] for text in captions])


def train_diffusion(args, latents, attrs, rng, start):
    tokenizer = ClipTokenizer()
    text_encoder = TextEncoder(tokenizer.grammar_clip_ids(shapes_data.grammar_words()), dim=args.text_dim,
                               layers=args.text_layers, heads=4)
    unet = UNet(context_dim=args.text_dim, channels=args.unet_channels, attention=args.unet_attention,
                blocks_per_level=args.unet_blocks, heads=4, pooled_text=not args.no_pooled_text,
                scale_shift=not args.no_scale_shift)
    log(start, f"text encoder {count_parameters(text_encoder)} + UNet {count_parameters(unet)} parameters")
    modules = torch.nn.ModuleDict({"text_encoder": text_encoder, "unet": unet})
    ema = copy.deepcopy(modules).requires_grad_(False)
    optimizer = torch.optim.AdamW(modules.parameters(), lr=args.lr, weight_decay=0.01)
    alphas_cumprod = torch.tensor(sampling.ALPHAS_CUMPROD, dtype=torch.float32)
    caption_ids = CaptionIds()
    running = 0.0
    for step in range(args.steps):
        set_lr(optimizer, cosine_lr(step, args.steps, args.lr, args.warmup))
        index = torch.from_numpy(rng.integers(0, len(latents), args.batch))
        x0 = latents[index]
        captions = [shapes_data.caption(rng, attrs["color"][i], attrs["bg"][i], attrs["shape"][i], attrs["size"][i])
                    for i in index.tolist()]
        t = torch.from_numpy(rng.integers(0, sampling.NUM_TRAIN_TIMESTEPS, args.batch))
        noise = torch.randn_like(x0)
        a = alphas_cumprod[t][:, None, None, None]
        noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise
        eps = unet(noisy, t.float(), text_encoder(caption_ids(captions)))
        per_sample = ((eps - noise) ** 2).mean(dim=(1, 2, 3))
        snr = alphas_cumprod[t] / (1 - alphas_cumprod[t])
        weight = torch.clamp(snr, max=args.min_snr_gamma) / snr if args.min_snr_gamma > 0 else torch.ones_like(snr)
        loss = (weight * per_sample).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(modules.parameters(), 1.0)
        optimizer.step()
        decay = min(args.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), modules.parameters()):
                e.mul_(decay).add_(p, alpha=1 - decay)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 100 == 0 or step == args.steps - 1:
            log(start, f"UNet step {step}: loss {running:.4f} lr {optimizer.param_groups[0]['lr']:.2e}")
    ema.eval()
    return ema["text_encoder"], ema["unet"]


def save_grid(images, prompts, path, columns=6):
    rows = len(images) // columns
    grid = images[:rows * columns].reshape(rows, columns, *images.shape[1:]).transpose(0, 2, 1, 3, 4)
    Image.fromarray(grid.reshape(rows * images.shape[1], columns * images.shape[2], 3)).save(path)
    with open(os.path.splitext(path)[0] + ".txt", "w") as f:
        f.write("\n".join(prompts[:rows * columns]) + "\n")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--tokenizer", default=os.path.join(HERE, "clip", "tokenizer.json"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help="also save the trained weights (state dicts) to this file")
    parser.add_argument("--from-checkpoint", help="skip training: export and measure the weights of this file")
    parser.add_argument("--vae-channels", type=int, nargs=3, default=[16, 32, 64])
    parser.add_argument("--vae-steps", type=int, default=800)
    parser.add_argument("--vae-batch", type=int, default=16)
    parser.add_argument("--vae-lr", type=float, default=2e-3)
    parser.add_argument("--kl-weight", type=float, default=1e-4)
    parser.add_argument("--pool", type=int, default=10000)
    parser.add_argument("--text-dim", type=int, default=128)
    parser.add_argument("--text-layers", type=int, default=2)
    parser.add_argument("--unet-channels", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--unet-attention", type=int, nargs="+", default=[0, 1, 1])
    parser.add_argument("--unet-blocks", type=int, default=1)
    parser.add_argument("--no-pooled-text", action="store_true")
    parser.add_argument("--no-scale-shift", action="store_true", help="add the embedding instead of FiLM")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=8e-4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--ema-decay", type=float, default=0.995)
    parser.add_argument("--min-snr-gamma", type=float, default=5.0)
    parser.add_argument("--eval-n", type=int, default=200)
    parser.add_argument("--guidance-sweep", type=float, nargs="+", default=[2.0, 2.5, 3.0, 5.0])
    parser.add_argument("--default-steps", type=int, default=20)
    args = parser.parse_args()
    args.unet_attention = [bool(a) for a in args.unet_attention]
    return args


def export_and_measure(args, encoder, decoder, text_encoder, unet, scaling_factor, start):
    """Exports the folder, picks the guidance scale by measurement, prints the figures, saves samples."""
    index = model_folder.model_index(
        name="shapes", sample_size=shapes_data.IMAGE_SIZE, vae_scale_factor=4, latent_channels=4,
        scaling_factor=scaling_factor, text_hidden_size=args.text_dim, default_steps=args.default_steps,
        default_guidance_scale=args.guidance_sweep[0], default_scheduler="dpmpp_2m",
        description="one coloured circle, square or triangle on a solid background, 64x64; "
                    "trained from scratch by src/training/train.py")
    export = dict(text_encoder=text_encoder, unet=unet, vae_decoder=decoder, vae_encoder=VaeEncoderMean(encoder),
                  tokenizer_json=args.tokenizer, scheduler_config=SCHEDULER_CONFIG,
                  check_latent_sizes=[16, 24])
    model_folder.write_model_folder(args.out, index=index, **export)
    log(start, f"exported to {args.out}")

    models, _ = evaluate.load_model_folder(args.out)
    best = None
    for guidance in args.guidance_sweep:
        result, _, _ = evaluate.evaluate(models, args.eval_n, "dpmpp_2m", 12, guidance)
        score = min(v for v, _ in result.values())
        log(start, f"dpmpp_2m 12 steps, guidance {guidance}: {evaluate.format_result(result)}")
        if best is None or score > best[0]:
            best = (score, guidance)
    index["default_guidance_scale"] = best[1]
    model_folder.write_model_folder(args.out, index=index, **export)
    log(start, f"default guidance scale {best[1]} (best worst-attribute score)")

    result, images, prompts = evaluate.evaluate(models, args.eval_n, "dpmpp_2m", args.default_steps, best[1])
    log(start, f"defaults (dpmpp_2m {args.default_steps} steps, guidance {best[1]}): "
               f"{evaluate.format_result(result)}")
    save_grid(images[:24], prompts[:24], os.path.join(args.out, "samples.png"))
    log(start, "done")


def load_checkpoint(args):
    """The networks and scaling factor saved by --checkpoint (re-export and re-measure without training)."""
    state = torch.load(args.from_checkpoint)
    encoder = VaeEncoder(args.vae_channels)
    decoder = VaeDecoder(args.vae_channels)
    text_encoder = TextEncoder(ClipTokenizer().grammar_clip_ids(shapes_data.grammar_words()), dim=args.text_dim,
                               layers=args.text_layers, heads=4)
    unet = UNet(context_dim=args.text_dim, channels=args.unet_channels, attention=args.unet_attention,
                blocks_per_level=args.unet_blocks, heads=4, pooled_text=not args.no_pooled_text,
                scale_shift=not args.no_scale_shift)
    for name, module in (("encoder", encoder), ("decoder", decoder), ("text_encoder", text_encoder), ("unet", unet)):
        module.load_state_dict(state[name])
        module.eval()
    return encoder, decoder, text_encoder, unet, state["scaling_factor"]


def main():
    args = parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    if args.from_checkpoint:
        export_and_measure(args, *load_checkpoint(args), start)
        return

    encoder, decoder = train_vae(args, rng, start)
    latents, attrs = encode_pool(encoder, rng, args.pool)
    scaling_factor = round(float(1.0 / latents.std()), 5)
    log(start, f"latent pool {tuple(latents.shape)}, scaling_factor {scaling_factor}")

    text_encoder, unet = train_diffusion(args, latents * scaling_factor, attrs, rng, start)
    if args.checkpoint:
        torch.save({"encoder": encoder.state_dict(), "decoder": decoder.state_dict(),
                    "text_encoder": text_encoder.state_dict(), "unet": unet.state_dict(),
                    "scaling_factor": scaling_factor, "args": vars(args)}, args.checkpoint)
    export_and_measure(args, encoder, decoder, text_encoder, unet, scaling_factor, start)


if __name__ == "__main__":
    main()
