"""Reference runs of a guidance-distilled (LCM-style) model folder, made with diffusers' own pieces.

    PYTHONPATH=/path/to/diffusers/src /usr/bin/python3 src/training/conformance/lcm_reference.py \
        --model src/test/resources/models/tiny-lcm --out src/test/resources/conformance/lcm_tiny.json

Writes what GuidanceEmbeddingModelTest compares the service with: diffusers' get_guidance_scale_embedding at
several guidance scales and widths, and whole generations of the model folder's TorchScript networks driven as
diffusers' LatentConsistencyModelPipeline drives its UNet: latents from torch.randn with the seeded CPU generator,
timestep_cond = the embedding of guidance_scale - 1, no unconditional pass, LCMScheduler (or TCDScheduler with
eta) stepping with the same generator, the VAE decoding the last latents, pixels as (x / 2 + 0.5).clamp(0, 1)
* 255 rounded. Needs torch and diffusers (made with diffusers 0.30.3 on torch 1.13).
"""
import argparse
import json
import os
import sys

import torch
from diffusers import LatentConsistencyModelPipeline, LCMScheduler, TCDScheduler

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from clip_tokenizer import ClipTokenizer  # noqa: E402

SCHEDULERS = {"lcm": LCMScheduler, "tcd": TCDScheduler}
EMBEDDINGS = [(1.0, 32), (1.5, 32), (3.0, 256), (8.5, 256), (15.0, 7)]
RUNS = [
    ("lcm_4_g15", "lcm", "a red circle on a blue background", 5, 4, 1.5, 0.0),
    ("lcm_2_g8", "lcm", "a large yellow triangle", 6, 2, 8.0, 0.0),
    ("lcm_1_g1", "lcm", "a small green square on a white background", 7, 1, 1.0, 0.0),
    ("tcd_4_g3_eta03", "tcd", "a blue square", 8, 4, 3.0, 0.3),
]


def embedding(guidance_scale, dim):
    return LatentConsistencyModelPipeline.get_guidance_scale_embedding(
        None, torch.tensor([guidance_scale - 1.0]), embedding_dim=dim)


def generate(folder, index, scheduler_config, scheduler, prompt, seed, steps, guidance_scale, eta):
    networks = {name: torch.jit.load(os.path.join(folder, name, "model.pt"))
                for name in ("text_encoder", "unet", "vae_decoder")}
    scheduler = SCHEDULERS[scheduler].from_config(scheduler_config)
    size = index["sample_size"] // index["vae_scale_factor"]
    with torch.no_grad():
        context = networks["text_encoder"](torch.tensor([ClipTokenizer().input_ids(prompt)]))
        generator = torch.Generator().manual_seed(seed)
        latents = torch.randn((1, index["latent_channels"], size, size), generator=generator) \
            * scheduler.init_noise_sigma
        scheduler.set_timesteps(steps)
        timestep_cond = embedding(guidance_scale, index["time_cond_proj_dim"])
        options = {"eta": eta} if isinstance(scheduler, TCDScheduler) else {}
        for t in scheduler.timesteps:
            output = networks["unet"](latents, t.float().reshape(1), context, timestep_cond)
            latents = scheduler.step(output, t, latents, generator=generator, **options).prev_sample
        image = networks["vae_decoder"](latents / index["scaling_factor"])
    pixels = ((image / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)[0].permute(1, 2, 0)
    return [int(v) for v in pixels.flatten().tolist()], [float(t) for t in scheduler.timesteps.tolist()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a model folder whose UNet takes timestep_cond")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.model, "model_index.json")) as f:
        index = json.load(f)
    with open(os.path.join(args.model, "scheduler", "scheduler_config.json")) as f:
        scheduler_config = json.load(f)
    runs = []
    for name, scheduler, prompt, seed, steps, guidance_scale, eta in RUNS:
        rgb, timesteps = generate(args.model, index, scheduler_config, scheduler, prompt, seed, steps,
                                  guidance_scale, eta)
        runs.append({"name": name, "scheduler": scheduler, "prompt": prompt, "seed": seed, "steps": steps,
                     "guidance_scale": guidance_scale, "eta": eta, "timesteps": timesteps,
                     "width": index["sample_size"], "height": index["sample_size"], "rgb": rgb})
        print(f"{name}: timesteps {timesteps}")
    result = {
        "model": os.path.basename(os.path.normpath(args.model)),
        "embeddings": [{"guidance_scale": g, "dim": d, "values": [float(v) for v in embedding(g, d)[0].tolist()]}
                       for g, d in EMBEDDINGS],
        "runs": runs,
    }
    with open(args.out, "w") as f:
        f.write(json.dumps(result))


if __name__ == "__main__":
    main()
