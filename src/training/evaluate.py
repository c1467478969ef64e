"""Prompt adherence of a model folder: samples random grammar prompts and judges the images.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 src/training/evaluate.py --model src/main/models/shapes \
        [--n 200] [--sampler dpmpp_2m] [--steps 12] [--guidance 5]

Without --sampler/--steps/--guidance the model's defaults from model_index.json are used.
"""
import os

# Before torch loads libgomp: OpenMP's default spin-wait makes 2 threads 10-50x slower as soon as another
# process takes a core (measured on the shared 2-core build machine); a short spin keeps them fast.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

import argparse
import json

import numpy as np
import torch

import judge
import sampling
import shapes_data
from clip_tokenizer import ClipTokenizer
from models import guidance_scale_embedding


def random_prompts(rng, n):
    """n scenes with a non-empty grammar caption each; records which attributes the caption names."""
    attrs = shapes_data.random_attributes(rng, n)
    prompts = []
    named_size = np.zeros(n, dtype=bool)
    bg_named = np.zeros(n, dtype=bool)
    for i in range(n):
        text = shapes_data.caption(rng, attrs["color"][i], attrs["bg"][i], attrs["shape"][i], attrs["size"][i],
                                   allow_empty=False, template_weights=(1 / 3, 1 / 3, 1 / 3))
        prompts.append(text)
        named_size[i] = any(f" {s} " in f" {text} " for s in shapes_data.SIZES)
        bg_named[i] = "background" in text
    attrs["bg_named"] = bg_named
    return prompts, attrs, named_size


def generate(models, prompts, sampler, steps, guidance, seed, batch_size=50):
    """uint8 images [n,64,64,3] for prompts; models: dict text_encoder/unet/vae_decoder/scaling_factor, and
    time_cond_proj_dim for a guidance-distilled UNet (then the guidance goes in as its embedding)."""
    tokenizer = ClipTokenizer()
    latent_size = shapes_data.IMAGE_SIZE // 4
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(len(prompts), 4, latent_size, latent_size, generator=generator)
    images = []
    # The profiling executor re-optimises the TorchScript graph on its first calls; plain execution is faster here.
    with torch.no_grad(), torch.jit.optimized_execution(False):
        uncond_ids = torch.tensor([tokenizer.input_ids("")])
        uncond_context = models["text_encoder"](uncond_ids)
        embedding_dim = models.get("time_cond_proj_dim")
        for start in range(0, len(prompts), batch_size):
            chunk = prompts[start:start + batch_size]
            ids = torch.tensor([tokenizer.input_ids(p) for p in chunk])
            context = models["text_encoder"](ids)
            timestep_cond = None if embedding_dim is None else guidance_scale_embedding(
                torch.full((len(chunk),), guidance - 1.0), embedding_dim)
            latents = sampling.SAMPLERS[sampler](
                models["unet"], noise[start:start + len(chunk)], context,
                uncond_context.expand(len(chunk), -1, -1), steps, guidance, timestep_cond=timestep_cond,
                generator=generator)
            decoded = models["vae_decoder"](latents / models["scaling_factor"])
            images.append(((decoded.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy())
    return np.concatenate(images)


def evaluate(models, n, sampler, steps, guidance, seed=1234):
    rng = np.random.default_rng(seed)
    prompts, attrs, named_size = random_prompts(rng, n)
    images = generate(models, prompts, sampler, steps, guidance, seed)
    return judge.adherence(images, attrs, named_size), images, prompts


def format_result(result):
    return "  ".join(f"{k} {v * 100:5.1f}% (n={c})" for k, (v, c) in result.items())


def load_model_folder(path):
    with open(os.path.join(path, "model_index.json")) as f:
        index = json.load(f)
    models = {name: torch.jit.load(os.path.join(path, name, "model.pt"))
              for name in ("text_encoder", "unet", "vae_decoder")}
    models["scaling_factor"] = index["scaling_factor"]
    if "timestep_cond" in index.get("unet_extra_inputs", []):
        models["time_cond_proj_dim"] = index["time_cond_proj_dim"]
    return models, index


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--sampler", choices=sorted(sampling.SAMPLERS))
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    torch.set_num_threads(2)
    models, index = load_model_folder(args.model)
    sampler = args.sampler or index["default_scheduler"]
    steps = args.steps or index["default_steps"]
    guidance = args.guidance if args.guidance is not None else index["default_guidance_scale"]
    result, _, _ = evaluate(models, args.n, sampler, steps, guidance, args.seed)
    print(f"{sampler} {steps} steps, guidance {guidance}: {format_result(result)}")


if __name__ == "__main__":
    main()
