"""Writes a model folder (the layout of the README's "Models" section): TorchScript files, tokenizer, scheduler config, index.

Shared by train.py / make_test_model.py (our small models) and export_diffusers.py (a diffusers
Stable Diffusion pipeline), so both produce exactly the same layout through the same code.
"""
import json
import os
import shutil

import torch

MAX_TEXT_LENGTH = 77
PAD_TOKEN_ID = 49407

# diffusers' DDPMScheduler/DDIMScheduler keys, with SD 1.5's values.
SD15_SCHEDULER_CONFIG = {
    "_class_name": "DDPMScheduler",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "trained_betas": None,
    "variance_type": "fixed_small",
    "clip_sample": False,
    "clip_sample_range": 1.0,
    "prediction_type": "epsilon",
    "thresholding": False,
    "dynamic_thresholding_ratio": 0.995,
    "sample_max_value": 1.0,
    "timestep_spacing": "leading",
    "steps_offset": 1,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "rescale_betas_zero_snr": False,
}

# diffusers' LCMScheduler keys, with SD 1.5's schedule and the distillation schedule of LCM's own checkpoints.
LCM_SCHEDULER_CONFIG = {
    "_class_name": "LCMScheduler",
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "trained_betas": None,
    "original_inference_steps": 50,
    "clip_sample": False,
    "clip_sample_range": 1.0,
    "set_alpha_to_one": True,
    "steps_offset": 0,
    "prediction_type": "epsilon",
    "thresholding": False,
    "dynamic_thresholding_ratio": 0.995,
    "sample_max_value": 1.0,
    "timestep_spacing": "leading",
    "timestep_scaling": 10.0,
    "rescale_betas_zero_snr": False,
}
# the UNet input that carries a guidance-distilled model's guidance-scale embedding (diffusers' timestep_cond)
TIMESTEP_COND = "timestep_cond"


def model_index(name, sample_size, vae_scale_factor, latent_channels, scaling_factor, text_hidden_size,
                default_steps, default_guidance_scale, default_scheduler, **extra):
    index = {
        "format": "torchscript",
        "name": name,
        "sample_size": sample_size,
        "vae_scale_factor": vae_scale_factor,
        "latent_channels": latent_channels,
        "scaling_factor": scaling_factor,
        "max_text_length": MAX_TEXT_LENGTH,
        "pad_token_id": PAD_TOKEN_ID,
        "text_hidden_size": text_hidden_size,
        "default_steps": default_steps,
        "default_guidance_scale": default_guidance_scale,
        "default_scheduler": default_scheduler,
    }
    index.update(extra)
    return index


def _trace(module, example_inputs):
    module.eval()
    with torch.no_grad():
        return torch.jit.trace(module, example_inputs, check_trace=False)


def _check(path, make_inputs, expected_shape, batch_sizes):
    """Reloads the saved file and runs it at several batch sizes, so a shape baked in by tracing shows up."""
    loaded = torch.jit.load(path)
    with torch.no_grad():
        for b in batch_sizes:
            out = loaded(*make_inputs(b))
            if tuple(out.shape) != expected_shape(b) or out.dtype != torch.float32:
                raise RuntimeError(f"{path}: batch {b} gave {tuple(out.shape)} {out.dtype}, "
                                   f"expected {expected_shape(b)} float32")
            if not torch.isfinite(out).all():
                raise RuntimeError(f"{path}: batch {b} gave non-finite values")


def write_model_folder(out_dir, *, text_encoder, unet, vae_decoder, vae_encoder, tokenizer_json, scheduler_config,
                       index, check_batch_sizes=(1, 2, 3, 16), check_latent_sizes=None, unet_extra_sizes=None):
    """Traces and saves the four networks, then writes tokenizer, scheduler config and model_index.json.

    The modules must already have the exported signatures:
      text_encoder(input_ids int64 [B,77]) -> [B,77,D]
      unet(sample [B,C,h,w], timestep float32 [B], context [B,77,D], *extras [B,n] in the order of
          index["unet_extra_inputs"], e.g. timestep_cond) -> [B,C,h,w]
      vae_decoder(latents [B,C,h,w], unscaled) -> image [B,3,H,W]
      vae_encoder(image [B,3,H,W] in [-1,1]) -> latent mean [B,C,h,w]
    tokenizer_json: path of a Hugging Face tokenizers file, copied as tokenizer/tokenizer.json.
    check_latent_sizes: latent sizes the saved UNet and VAE files are checked at (default: the model's).
    unet_extra_sizes: n of each extra UNet input, in order.
    """
    f = index["vae_scale_factor"]
    c = index["latent_channels"]
    d = index["text_hidden_size"]
    size = index["sample_size"] // f
    latent_sizes = check_latent_sizes or [size]
    for sub in ("text_encoder", "unet", "vae_decoder", "vae_encoder", "tokenizer", "scheduler"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)

    def ids(b):
        return (torch.full((b, MAX_TEXT_LENGTH), PAD_TOKEN_ID, dtype=torch.int64)
                .index_fill_(1, torch.tensor([0]), 49406),)

    def unet_inputs(b, s=size):
        return (torch.randn(b, c, s, s), torch.linspace(1.0, 999.0, b), torch.randn(b, MAX_TEXT_LENGTH, d),
                *(torch.randn(b, n) for n in unet_extra_sizes or []))

    def latents(b, s=size):
        return (torch.randn(b, c, s, s),)

    def images(b, s=size):
        return (torch.rand(b, 3, s * f, s * f) * 2 - 1,)

    path = os.path.join(out_dir, "text_encoder", "model.pt")
    _trace(text_encoder, ids(2)).save(path)
    _check(path, ids, lambda b: (b, MAX_TEXT_LENGTH, d), check_batch_sizes)

    path = os.path.join(out_dir, "unet", "model.pt")
    _trace(unet, unet_inputs(2)).save(path)
    for s in latent_sizes:
        _check(path, lambda b: unet_inputs(b, s), lambda b: (b, c, s, s), check_batch_sizes)

    path = os.path.join(out_dir, "vae_decoder", "model.pt")
    _trace(vae_decoder, latents(2)).save(path)
    for s in latent_sizes:
        _check(path, lambda b: latents(b, s), lambda b: (b, 3, s * f, s * f), check_batch_sizes)

    path = os.path.join(out_dir, "vae_encoder", "model.pt")
    _trace(vae_encoder, images(2)).save(path)
    for s in latent_sizes:
        _check(path, lambda b: images(b, s), lambda b: (b, c, s, s), check_batch_sizes)

    shutil.copyfile(tokenizer_json, os.path.join(out_dir, "tokenizer", "tokenizer.json"))
    _write_json(os.path.join(out_dir, "scheduler", "scheduler_config.json"), scheduler_config)
    _write_json(os.path.join(out_dir, "model_index.json"), index)


def _write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
