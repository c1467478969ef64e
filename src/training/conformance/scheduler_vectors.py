"""Scheduler conformance vectors: sampling runs of diffusers' own schedulers with a stand-in denoiser.

    PYTHONPATH=/path/to/diffusers/src /usr/bin/python3 src/training/conformance/scheduler_vectors.py \
        --out src/test/resources/conformance/schedulers [--only lcm_4 tcd_g03_4 ...]

Writes one <name>.json per case in the format of src/test/resources/conformance/README.md, which
SchedulerConformanceTest replays against the service's schedulers. Needs torch and diffusers (the run
committed here used diffusers 0.30.3 on torch 1.13); the service needs neither. Every run is seeded, so
the files are reproducible. Cases are the LCM and TCD runs; any other diffusers scheduler class can be
given to make_run() the same way.
"""
import argparse
import inspect
import json
import math
import os
import sys

import torch

MODEL = ("out(x,t) = 0.9*sqrt(max(t,0)/1000)*x + 0.1*tanh(3x) + 0.02*sin(t/100); x = model_input, "
         "t = the timestep value passed to the model, all float64")
SHAPE = [1, 4, 4, 4]
# Stable Diffusion 1.5's schedule, as the other vectors use it
SD15 = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")


def stand_in(x, t):
    """The stand-in denoiser of the README, in float64."""
    return 0.9 * math.sqrt(max(t, 0.0) / 1000) * x + 0.1 * torch.tanh(3 * x) + 0.02 * math.sin(t / 100)


def flat(tensor):
    return [float(v) for v in tensor.flatten().tolist()]


class NoiseRecorder:
    """Wraps the randn_tensor that a scheduler's module calls, keeping every array drawn since the last take()."""

    def __init__(self, scheduler_class):
        self.module = sys.modules[scheduler_class.__module__]
        self.original = getattr(self.module, "randn_tensor", None)
        self.drawn = []

    def __enter__(self):
        if self.original is not None:
            def recording(*args, **kwargs):
                sample = self.original(*args, **kwargs)
                self.drawn.append(flat(sample))
                return sample
            self.module.randn_tensor = recording
        return self

    def __exit__(self, *exc):
        if self.original is not None:
            self.module.randn_tensor = self.original

    def take(self):
        drawn, self.drawn = self.drawn, []
        return drawn


def make_run(name, scheduler_class, steps, seed, config=None, eta=None, strength=None):
    """One sampling run as the README describes it: txt2img, or img2img when strength is given."""
    scheduler = scheduler_class(**{**SD15, **(config or {})})
    scheduler.set_timesteps(steps)
    order = scheduler.order
    run = {
        "name": name,
        "scheduler": scheduler_class.__name__,
        "config": {k: v for k, v in scheduler.config.items() if not k.startswith("_")},
        "num_inference_steps": steps,
        "shape": SHAPE,
        "model": MODEL,
        "init_noise_sigma": float(scheduler.init_noise_sigma),
        "order": order,
        "timesteps": [float(t) for t in scheduler.timesteps.tolist()],
    }
    if getattr(scheduler, "sigmas", None) is not None:
        run["sigmas"] = flat(scheduler.sigmas)
    generator = torch.Generator().manual_seed(seed)
    if strength is None:
        run["mode"] = "txt2img"
        x_t = torch.randn(SHAPE, generator=generator, dtype=torch.float64)
        run["x_T"] = flat(x_t)
        run_timesteps = scheduler.timesteps
        latents = x_t * scheduler.init_noise_sigma
    else:
        run["mode"] = "img2img"
        run["strength"] = strength
        x0 = torch.randn(SHAPE, generator=generator, dtype=torch.float64)
        noise = torch.randn(SHAPE, generator=generator, dtype=torch.float64)
        t_start = steps - min(int(steps * strength), steps)
        run_timesteps = scheduler.timesteps[t_start * order:]
        if hasattr(scheduler, "set_begin_index"):
            scheduler.set_begin_index(t_start * order)
        latents = scheduler.add_noise(x0, noise, run_timesteps[:1])
        run.update(x0=flat(x0), noise=flat(noise), noised=flat(latents),
                   run_timesteps=[float(t) for t in run_timesteps.tolist()])
    step_options = {}
    step_parameters = inspect.signature(scheduler.step).parameters
    if eta is not None:
        if "eta" not in step_parameters:
            raise ValueError(f"{name}: {scheduler_class.__name__}.step takes no eta")
        step_options["eta"] = eta
        if eta > 0:
            run["eta"] = eta
    elif "eta" in step_parameters:
        step_options["eta"] = 0.0  # what diffusers' pipelines pass by default
    if "generator" in step_parameters:
        step_options["generator"] = generator
    # EulerDiscreteScheduler draws churn noise at every step but uses it only for an s_churn > 0 (a step argument
    # that pipelines never pass), so its steps consume none
    draws_unused = scheduler_class.__name__ == "EulerDiscreteScheduler"
    recorded = []
    with NoiseRecorder(scheduler_class) as noise_drawn:
        for t in run_timesteps:
            model_input = scheduler.scale_model_input(latents, t)
            output = stand_in(model_input, float(t))
            latents = scheduler.step(output, t, latents, **step_options).prev_sample
            noise = noise_drawn.take()
            recorded.append({"t": float(t), "model_input": flat(model_input), "noise": [] if draws_unused else noise,
                             "prev_sample": flat(latents)})
    run["steps"] = recorded
    run["final"] = flat(latents)
    return run


def cases():
    from diffusers import LCMScheduler, TCDScheduler
    return [
        # LCM: the default distillation schedule (50 original steps, timestep_scaling 10) at 1, 2, 4, 8 steps
        ("lcm_1", LCMScheduler, 1, 11, {}, None, None),
        ("lcm_2", LCMScheduler, 2, 12, {}, None, None),
        ("lcm_4", LCMScheduler, 4, 13, {}, None, None),
        ("lcm_8", LCMScheduler, 8, 14, {}, None, None),
        # another distillation schedule: k = 1000 // 30 = 33, so the top timestep is 989, and 7 does not divide 30
        ("lcm_orig30_7", LCMScheduler, 7, 15, {"original_inference_steps": 30}, None, None),
        # a small timestep_scaling, where c_skip and c_out are far from 0 and 1
        ("lcm_scaling001_4", LCMScheduler, 4, 16, {"timestep_scaling": 0.01}, None, None),
        ("lcm_v_zero_snr_4", LCMScheduler, 4, 17,
         {"prediction_type": "v_prediction", "rescale_betas_zero_snr": True}, None, None),
        ("lcm_clip_6", LCMScheduler, 6, 18, {"clip_sample": True, "clip_sample_range": 0.5}, None, None),
        ("lcm_img2img_8_s05", LCMScheduler, 8, 19, {}, None, 0.5),
        # TCD: gamma (the eta of step) 0, 0.3, 1 and between, several step counts and prediction types
        ("tcd_g0_4", TCDScheduler, 4, 21, {}, 0.0, None),
        ("tcd_g0_8", TCDScheduler, 8, 22, {}, 0.0, None),
        ("tcd_g03_1", TCDScheduler, 1, 23, {}, 0.3, None),
        ("tcd_g03_4", TCDScheduler, 4, 24, {}, 0.3, None),
        ("tcd_g03_6", TCDScheduler, 6, 25, {}, 0.3, None),
        ("tcd_g1_2", TCDScheduler, 2, 26, {}, 1.0, None),
        ("tcd_g08_7_orig30", TCDScheduler, 7, 27, {"original_inference_steps": 30}, 0.8, None),
        ("tcd_v_g05_4", TCDScheduler, 4, 28, {"prediction_type": "v_prediction"}, 0.5, None),
        ("tcd_sample_g03_4", TCDScheduler, 4, 29, {"prediction_type": "sample"}, 0.3, None),
        ("tcd_img2img_8_s075", TCDScheduler, 8, 30, {}, 0.3, 0.75),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder to write <name>.json into")
    parser.add_argument("--only", nargs="+", help="case names to write (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name, scheduler_class, steps, seed, config, eta, strength in cases():
        if args.only and name not in args.only:
            continue
        run = make_run(name, scheduler_class, steps, seed, config, eta, strength)
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            f.write(json.dumps(run))
        print(f"{name}: timesteps {run['timesteps']}, noise drawn at {sum(1 for s in run['steps'] if s['noise'])} "
              f"of {len(run['steps'])} steps")


if __name__ == "__main__":
    main()
