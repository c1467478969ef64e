"""The plain PyTorch loop a user would write instead of the service, for scripts/bench-vs-pytorch.sh.

Debian's torch on the model folder's own TorchScript files, with the model's defaults (DPM-Solver++ 2M, its steps and
guidance), laid out from its scheduler_config.json as the service lays out `dpmpp_2m`. For every image: the prompt
and the empty negative prompt in one text-encoder call, noise from torch.randn seeded with the image's seed (the
service's noise is the same generator), the sampler of src/training/sampling.py with classifier-free guidance (one
UNet call of 2 rows per step), VAE decode, and a PNG with the same "parameters" text chunk the service writes.

    /usr/bin/python3 scripts/pytorch_loop.py --model src/main/models/shapes --images 32 [--warmup 4] [--batch 1]
        [--size 256] [--steps 8]
    /usr/bin/python3 scripts/pytorch_loop.py --model src/main/models/shapes --images 0 \\
        --reference service.png --seed 42 --prompt "a red circle on a blue background"

Prints images/s (after the warm-up images), the share of that time spent inside the three networks, the seconds
of one UNet call (a step: 2 rows per image) and the process's peak resident memory. With
--reference, first makes the image of --seed and --prompt and compares its pixels with the PNG the service made.
Threads as the training code sets them: OPENBLAS_NUM_THREADS=1, GOMP_SPINCOUNT=10000 (OpenMP's default spin-wait
is many times slower as soon as another process takes a core), torch.set_num_threads(--threads, default 2).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("GOMP_SPINCOUNT", "10000")  # before torch loads libgomp

import argparse
import io
import json
import resource
import sys
import time

import numpy as np
import torch
from PIL import Image, PngImagePlugin

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "training"))
import evaluate  # noqa: E402  (src/training, after the path is set)
import sampling  # noqa: E402
from clip_tokenizer import EOS_ID, ClipTokenizer  # noqa: E402

PROMPTS = ["a red circle on a blue background", "a small green square", "a large yellow triangle on a purple background",
           "a white square on a black background", "a blue triangle", "an orange circle on a green background"]


class Timed:
    """A network whose calls are timed, so that the loop's own time can be told from the networks'."""

    def __init__(self, module, device):
        self.module = module.to(device)
        # CUDA calls return before the GPU is done; wait for it, or the time would be the launch only
        self.synchronize = torch.cuda.synchronize if device.type == "cuda" else lambda: None
        self.seconds = 0.0

    def __call__(self, *args):
        start = time.perf_counter()
        out = self.module(*args)
        self.synchronize()
        self.seconds += time.perf_counter() - start
        return out


class Loop:
    def __init__(self, model_dir, device, size=None, steps=None, any_default_scheduler=False):
        models, self.index = evaluate.load_model_folder(model_dir)
        self.device = device
        with open(os.path.join(model_dir, "scheduler", "scheduler_config.json")) as f:
            config = json.load(f)
        check_schedule(config, self.index, any_default_scheduler)
        # as diffusers' from_config: a key the file lists under _use_default_values takes DPMSolverMultistepScheduler's
        # own default (SD 1.5's file lists timestep_spacing: it runs linspace, not the file's leading)
        defaults = set(config.get("_use_default_values", []))
        self.timestep_spacing = "linspace" if "timestep_spacing" in defaults else config.get("timestep_spacing",
                                                                                             "linspace")
        self.steps_offset = 0 if "steps_offset" in defaults else config.get("steps_offset", 0)
        self.text_encoder = Timed(models["text_encoder"], device)
        self.unet = Timed(models["unet"], device)
        self.vae_decoder = Timed(models["vae_decoder"], device)
        self.networks = [self.text_encoder, self.unet, self.vae_decoder]
        self.sdxl = self.index.get("unet_extra_inputs") == ["text_embeds", "time_ids"]
        if self.sdxl:
            # SDXL: a second text encoder (its pooled output is the UNet's text_embeds) and the size/crop time ids
            self.text_encoder_2 = Timed(torch.jit.load(os.path.join(model_dir, "text_encoder_2", "model.pt")),
                                        device)
            self.networks.append(self.text_encoder_2)
            if self.index["time_ids"] != ["original_size", "crops_coords_top_left", "target_size"]:
                raise SystemExit(f"this loop sends SDXL's default time ids, not {self.index['time_ids']}")
        self.tokenizer = ClipTokenizer()
        self.size = size or self.index["sample_size"]
        self.latent_size = self.size // self.index["vae_scale_factor"]
        self.steps = steps or self.index["default_steps"]

    def generate(self, prompts, seeds):
        """PNG bytes and RGB pixels [n,H,W,3] of one image per (prompt, seed), all in the same network calls."""
        n = len(prompts)
        texts = [""] * n + list(prompts)
        ids = torch.tensor([self.tokenizer.input_ids(text) for text in texts])
        hidden = self.text_encoder(ids.to(self.device))
        unet = self.unet
        if self.sdxl:
            hidden, unet = self.sdxl_conditions(texts, hidden)
        # on the host from each image's seed, as the service does (and diffusers with a CPU generator)
        noise = torch.cat([torch.randn(1, self.index["latent_channels"], self.latent_size, self.latent_size,
                                       generator=torch.Generator().manual_seed(seed)) for seed in seeds])
        noise = noise.to(self.device)
        latents = sampling.dpmpp_2m_sample(unet, noise, hidden[n:], hidden[:n], self.steps,
                                           self.index["default_guidance_scale"], self.timestep_spacing,
                                           self.steps_offset)
        decoded = self.vae_decoder(latents / self.index["scaling_factor"])
        # as the service and diffusers: clamp((x + 1) / 2) * 255, rounded
        rgb = ((decoded / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        return [self.png(image, prompt, seed) for image, prompt, seed in zip(rgb, prompts, seeds)], rgb

    def sdxl_conditions(self, texts, hidden):
        """Both encoders' hidden states side by side, and the UNet with the pooled output and time ids bound, as
        diffusers' StableDiffusionXLPipeline gives them; the empty negative prompts are zeros
        (force_zeros_for_empty_prompt)."""
        pad = self.index.get("pad_token_id_2", self.index["pad_token_id"])
        ids_2 = []
        for text in texts:  # the second tokenizer pads with its own id after the end token
            row = self.tokenizer.input_ids(text)
            end = row.index(EOS_ID, 1) + 1
            ids_2.append(row[:end] + [pad] * (len(row) - end))
        hidden_2, pooled = self.text_encoder_2(torch.tensor(ids_2).to(self.device))
        hidden = torch.cat([hidden, hidden_2], dim=-1)
        n = len(texts) // 2
        if self.index.get("force_zeros_for_empty_prompt", False):
            hidden[:n] = 0
            pooled[:n] = 0
        time_ids = torch.tensor([[self.size, self.size, 0, 0, self.size, self.size]] * len(texts),
                                dtype=torch.float32, device=self.device)

        def unet(x, t, context):
            return self.unet(x, t, context, pooled, time_ids)
        return hidden, unet

    def png(self, rgb, prompt, seed):
        size = self.size
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", f"{prompt}\nSteps: {self.steps}, Sampler: DPM++ 2M, "
                                    f"CFG scale: {float(self.index['default_guidance_scale'])}, Seed: {seed}, "
                                    f"Size: {size}x{size}, Model: {self.index['name']}")
        out = io.BytesIO()
        Image.fromarray(rgb).save(out, format="PNG", pnginfo=info)
        return out.getvalue()

    def time_in_networks(self):
        return sum(network.seconds for network in self.networks)


def check_schedule(config, index, any_default_scheduler=False):
    """The sampler implements SD's scaled-linear epsilon schedule and DPM-Solver++ 2M; refuse anything else (a model
    whose default scheduler is another only with any_default_scheduler: the service must then be asked for dpmpp_2m)."""
    expected = {"num_train_timesteps": sampling.NUM_TRAIN_TIMESTEPS, "beta_schedule": "scaled_linear",
                "beta_start": 0.00085, "beta_end": 0.012, "prediction_type": "epsilon"}
    config = {"prediction_type": "epsilon", **config}  # diffusers' default, which SD 1.x configs leave out
    wrong = {key: config.get(key) for key, value in expected.items() if config.get(key) != value}
    if wrong or (index["default_scheduler"] != "dpmpp_2m" and not any_default_scheduler):
        raise SystemExit(f"this loop implements dpmpp_2m on {expected}; the model has {wrong or ''} "
                         f"default_scheduler {index['default_scheduler']}")


def compare(loop, reference, prompt, seed, tolerance):
    """Max and mean absolute difference per channel between our image and the service's; True if within tolerance."""
    ours = loop.generate([prompt], [seed])[1][0].astype(np.int16)
    theirs = np.asarray(Image.open(reference).convert("RGB")).astype(np.int16)
    diff = np.abs(ours - theirs)
    print(f"pixel check (seed {seed}, {prompt!r}): max difference {diff.max()} levels, mean {diff.mean():.3f}, "
          f"{(diff > 0).mean() * 100:.2f}% of channels differ")
    return diff.max() <= tolerance


def run(loop, count, batch, first_seed):
    """count images, batch by batch, the prompts in turn, seeds first_seed, first_seed + 1, ..."""
    for start in range(0, count, batch):
        indices = range(start, min(start + batch, count))
        loop.generate([PROMPTS[i % len(PROMPTS)] for i in indices], [first_seed + i for i in indices])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="src/main/models/shapes")
    parser.add_argument("--images", type=int, default=32, help="timed images")
    parser.add_argument("--warmup", type=int, default=4, help="untimed images first")
    parser.add_argument("--batch", type=int, default=1, help="images per network call (1: one at a time)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--size", type=int, help="image width and height in pixels (the model's sample_size)")
    parser.add_argument("--steps", type=int, help="denoising steps (the model's default_steps)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda with a CUDA build of torch (not Debian's)")
    parser.add_argument("--any-default-scheduler", action="store_true",
                        help="run DPM-Solver++ 2M on a model whose default scheduler is another (for timing; ask the "
                             "service for dpmpp_2m too)")
    parser.add_argument("--graph-optimizer", action="store_true",
                        help="TorchScript's profiling executor on (off by default, as in the service)")
    parser.add_argument("--reference", help="a PNG of the service to compare pixels with")
    parser.add_argument("--seed", type=int, default=42, help="seed of the --reference image; timed images too")
    parser.add_argument("--prompt", default=PROMPTS[0], help="prompt of the --reference image")
    parser.add_argument("--tolerance", type=int, default=2, help="levels per channel the --reference check allows")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    loop = Loop(args.model, torch.device(args.device), args.size, args.steps, args.any_default_scheduler)
    with torch.no_grad(), torch.jit.optimized_execution(args.graph_optimizer):
        if args.reference and not compare(loop, args.reference, args.prompt, args.seed, args.tolerance):
            raise SystemExit(f"the loop's image differs from the service's by more than {args.tolerance} levels")
        if args.images == 0:
            return
        run(loop, args.warmup, args.batch, args.seed)
        networks_before = loop.time_in_networks()
        unet_before = loop.unet.seconds
        started = time.perf_counter()
        run(loop, args.images, args.batch, args.seed + args.warmup)
        seconds = time.perf_counter() - started
        inside = (loop.time_in_networks() - networks_before) / seconds
        unet_call = (loop.unet.seconds - unet_before) / (-(-args.images // args.batch) * loop.steps)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pytorch-loop: {args.images} images in {seconds:.2f} s: {args.images / seconds:.3f} images/s "
          f"(batch {args.batch}, {args.device}, {args.threads} threads, graph optimizer {'on' if args.graph_optimizer else 'off'}, "
          f"torch {torch.__version__}); inside the networks {inside * 100:.1f}% of the time; "
          f"{unet_call:.4f} s per UNet call; peak resident {peak_mb:.0f} MB; {loop.size} px, {loop.steps} steps")


if __name__ == "__main__":
    main()
