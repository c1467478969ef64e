"""Writes a model folder (README, "Models"): TorchScript networks, tokenizers, scheduler config, index.

Shared by train.py / make_test_model.py (our small models) and export_diffusers.py (a diffusers
Stable Diffusion pipeline), so both produce exactly the same layout through the same code.
"""
import io
import json
import os
import shutil
import zipfile

import torch

MAX_TEXT_LENGTH = 77
BOS_TOKEN_ID = 49406
EOS_TOKEN_ID = 49407
PAD_TOKEN_ID = EOS_TOKEN_ID

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
                default_steps, default_guidance_scale, default_scheduler, max_text_length=MAX_TEXT_LENGTH,
                pad_token_id=PAD_TOKEN_ID, **extra):
    """model_index.json; extra holds the optional keys (README, "Models"), e.g. pad_token_id_2, text_cleaning,
    force_zeros_for_empty_prompt, unet_extra_inputs, time_ids."""
    index = {
        "format": "torchscript",
        "name": name,
        "sample_size": sample_size,
        "vae_scale_factor": vae_scale_factor,
        "latent_channels": latent_channels,
        "scaling_factor": scaling_factor,
        "max_text_length": max_text_length,
        "pad_token_id": pad_token_id,
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


def _save(traced, path, debug_info):
    """Saves a traced network; without debug_info, without TorchScript's debug records (the file names and lines of
    the Python code that was traced), which name the exporting machine's folders and take most of a small file.
    torch.jit.load does without them; the archive is otherwise torch's, record for record."""
    if debug_info:
        traced.save(path)
        return
    saved = io.BytesIO()
    torch.jit.save(traced, saved)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for record in source.infolist():
            if not record.filename.endswith(".debug_pkl"):
                target.writestr(zipfile.ZipInfo(record.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                                source.read(record))


def _check(path, make_inputs, expected_shapes, batch_sizes):
    """Reloads the saved file and runs it at several batch sizes, so a shape baked in by tracing shows up.
    expected_shapes(b) is one shape, or a tuple of shapes for a network with several outputs."""
    loaded = torch.jit.load(path)
    with torch.no_grad():
        for b in batch_sizes:
            outputs = loaded(*make_inputs(b))
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            expected = expected_shapes(b)
            expected = expected if isinstance(expected[0], tuple) else (expected,)
            shapes = tuple(tuple(out.shape) for out in outputs)
            if shapes != expected or any(out.dtype != torch.float32 for out in outputs):
                raise RuntimeError(f"{path}: batch {b} gave {shapes} {[out.dtype for out in outputs]}, "
                                   f"expected {expected} float32")
            if not all(torch.isfinite(out).all() for out in outputs):
                raise RuntimeError(f"{path}: batch {b} gave non-finite values")


def write_model_folder(out_dir, *, text_encoder, unet, vae_decoder, vae_encoder, tokenizer_json, scheduler_config,
                       index, check_batch_sizes=(1, 2, 3, 16), check_latent_sizes=None, text_encoder_2=None,
                       tokenizer_2_json=None, text_hidden_sizes=None, pooled_size=None, unet_extra_sizes=None,
                       vae_encoder_std=False, debug_info=True):
    """Traces and saves the networks, then writes tokenizers, scheduler config and model_index.json.

    The modules must already have the exported signatures:
      text_encoder(input_ids int64 [B,L]) -> [B,L,D1]
      text_encoder_2 (optional, e.g. SDXL's second encoder)(input_ids int64 [B,L]) -> [B,L,D2], or
          ([B,L,D2], pooled [B,P]) when it is the encoder whose pooled output the UNet takes
      unet(sample [B,Cin,h,w], timestep float32 [B], context [B,L,D1+D2], *extras [B,n] in the order of
          index["unet_extra_inputs"], e.g. text_embeds and time_ids (SDXL) or timestep_cond (LCM)) -> [B,C,h,w],
          where Cin is index["unet_in_channels"] (an inpainting UNet's 2C + 1) or C
      vae_decoder(latents [B,C,h,w], unscaled) -> image [B,3,H,W]
      vae_encoder(image [B,3,H,W] in [-1,1]) -> latent mean [B,C,h,w], or mean and standard deviation
          concatenated [B,2C,h,w]
    tokenizer_json, tokenizer_2_json: paths of Hugging Face tokenizers files, copied as tokenizer*/tokenizer.json.
    text_hidden_sizes: (D1,) or (D1, D2); default (index["text_hidden_size"],). pooled_size: P, when the last
    encoder gives a pooled output. unet_extra_sizes: n of each extra UNet input, in order.
    vae_encoder_std: the VAE encoder gives mean and standard deviation (else the mean only).
    debug_info: keep TorchScript's debug records (source file names and lines) in the saved files.
    check_latent_sizes: latent sizes the saved UNet and VAE files are checked at (default: the model's).
    """
    f = index["vae_scale_factor"]
    c = index["latent_channels"]
    unet_in_channels = index.get("unet_in_channels", c)
    length = index["max_text_length"]
    hidden_sizes = tuple(text_hidden_sizes or (index["text_hidden_size"],))
    extra_sizes = list(unet_extra_sizes or [])
    encoders = [text_encoder] + ([text_encoder_2] if text_encoder_2 is not None else [])
    size = index["sample_size"] // f
    latent_sizes = check_latent_sizes or [size]
    encoder_channels = 2 * c if vae_encoder_std else c
    for sub in ("unet", "vae_decoder", "vae_encoder", "scheduler"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)

    def ids(b):
        return (torch.full((b, length), index["pad_token_id"], dtype=torch.int64)
                .index_fill_(1, torch.tensor([0]), BOS_TOKEN_ID).index_fill_(1, torch.tensor([1]), EOS_TOKEN_ID),)

    def unet_inputs(b, s=size):
        return (torch.randn(b, unet_in_channels, s, s), torch.linspace(1.0, 999.0, b),
                torch.randn(b, length, sum(hidden_sizes)),
                *(torch.randn(b, n) for n in extra_sizes))

    def latents(b, s=size):
        return (torch.randn(b, c, s, s),)

    def images(b, s=size):
        return (torch.rand(b, 3, s * f, s * f) * 2 - 1,)

    for i, (encoder, hidden) in enumerate(zip(encoders, hidden_sizes)):
        suffix = "" if i == 0 else f"_{i + 1}"
        os.makedirs(os.path.join(out_dir, "text_encoder" + suffix), exist_ok=True)
        path = os.path.join(out_dir, "text_encoder" + suffix, "model.pt")
        _save(_trace(encoder, ids(2)), path, debug_info)
        pooled = pooled_size is not None and i == len(encoders) - 1
        _check(path, ids, lambda b: ((b, length, hidden), (b, pooled_size)) if pooled else (b, length, hidden),
               check_batch_sizes)

    path = os.path.join(out_dir, "unet", "model.pt")
    _save(_trace(unet, unet_inputs(2)), path, debug_info)
    for s in latent_sizes:
        _check(path, lambda b: unet_inputs(b, s), lambda b: (b, c, s, s), check_batch_sizes)

    path = os.path.join(out_dir, "vae_decoder", "model.pt")
    _save(_trace(vae_decoder, latents(2)), path, debug_info)
    for s in latent_sizes:
        _check(path, lambda b: latents(b, s), lambda b: (b, 3, s * f, s * f), check_batch_sizes)

    path = os.path.join(out_dir, "vae_encoder", "model.pt")
    _save(_trace(vae_encoder, images(2)), path, debug_info)
    for s in latent_sizes:
        _check(path, lambda b: images(b, s), lambda b: (b, encoder_channels, s, s), check_batch_sizes)

    for suffix, source in (("", tokenizer_json), ("_2", tokenizer_2_json)):
        if source is not None:
            os.makedirs(os.path.join(out_dir, "tokenizer" + suffix), exist_ok=True)
            shutil.copyfile(source, os.path.join(out_dir, "tokenizer" + suffix, "tokenizer.json"))
    _write_json(os.path.join(out_dir, "scheduler", "scheduler_config.json"), scheduler_config)
    _write_json(os.path.join(out_dir, "model_index.json"), index)


def _write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
