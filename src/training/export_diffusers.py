"""Exports a diffusers Stable Diffusion pipeline (SD 1.x, SD 2.x or SDXL) to the service's model-folder layout.

    python3 src/training/export_diffusers.py --source /path/to/stable-diffusion-v1-5 --out models/sd15

Needs torch, diffusers and transformers (not installed on the build machine; the service itself needs
none of them). --source is a local diffusers folder (model_index.json, unet/, vae/, text_encoder/,
tokenizer/, scheduler/, and for SDXL text_encoder_2/, tokenizer_2/) or a hub id if the machine can download.
The folder is written by model_folder.write_model_folder, the same code that writes the bundled model; the
sizes (sample_size, vae_scale_factor, scaling_factor, token length, pad ids) come from the checkpoint.

What the service needs of each architecture is written into the folder (README, "Models"):
- every text encoder as the pipeline reads it: SD 1.x/2.x the last hidden state, SDXL the penultimate hidden
  states of both encoders and the pooled (projected) output of the second;
- the UNet's extra inputs (SDXL: text_embeds, time_ids) in model_index.json's "unet_extra_inputs", and how the
  time ids are made ("time_ids");
- a guidance-distilled UNet's (LCM's, time_cond_proj_dim in its config) guidance-scale embedding: the input
  "timestep_cond" and its width "time_cond_proj_dim", with which the service makes no unconditional pass; such a
  checkpoint's LCMScheduler becomes the default scheduler ("lcm"), and the default steps and guidance those of
  diffusers' LatentConsistencyModelPipeline (4 and 8.5);
- an inpainting UNet's input width (in_channels 9: the latents, the mask and the masked image's latents, as
  diffusers' StableDiffusionInpaintPipeline concatenates them) as "unet_in_channels"; absent for ordinary UNets;
- the VAE encoder's mean and standard deviation, so that img2img samples the latents as diffusers does;
- tokenizer.json, written here from a slow tokenizer's vocabulary and merges when the checkpoint has no fast one,
  and "text_cleaning": how that tokenizer cleans a prompt before BPE;
- the scheduler config as diffusers holds it, and the checkpoint's own scheduler as the default one.
"""
import argparse
import importlib.util
import os
import sys
import tempfile
from copy import deepcopy

import torch
from torch import nn

import model_folder

HERE = os.path.dirname(os.path.abspath(__file__))

# diffusers' scheduler classes and the service's names for them (plain names: no Karras sigmas)
SERVICE_SCHEDULERS = {
    "DDPMScheduler": "ddpm",
    "DDIMScheduler": "ddim",
    "PNDMScheduler": "pndm",
    "LMSDiscreteScheduler": "lms",
    "EulerDiscreteScheduler": "euler",
    "EulerAncestralDiscreteScheduler": "euler_ancestral",
    "HeunDiscreteScheduler": "heun",
    "DPMSolverMultistepScheduler": "dpmpp_2m",
    "UniPCMultistepScheduler": "unipc",
    "LCMScheduler": "lcm",
    "TCDScheduler": "tcd",
}
KARRAS_SCHEDULERS = {"lms", "euler", "heun", "dpmpp_2m", "dpmpp_2m_sde", "unipc"}
# the UNet inputs of diffusers' added_cond_kwargs that the service computes (README, "Models")
ADDED_CONDITIONS = ("text_embeds", "time_ids")
# a guidance-distilled UNet's guidance-scale embedding (LCM), its own argument of the UNet's forward
TIMESTEP_COND = model_folder.TIMESTEP_COND
# the parts of SDXL's time ids (diffusers' _get_add_time_ids) and how many numbers each is
TIME_ID_PARTS = {"original_size": 2, "crops_coords_top_left": 2, "target_size": 2, "aesthetic_score": 1}


class TextEncoderHidden(nn.Module):
    """A CLIP text encoder -> the hidden states the pipeline gives the UNet ([B,L,D]): the last hidden state
    (SD 1.x/2.x) or the penultimate layer's (SDXL); with pooled, also the projected pooled output text_embeds
    ([B,P]) of a CLIPTextModelWithProjection (SDXL's second encoder)."""

    def __init__(self, text_encoder, penultimate, pooled):
        super().__init__()
        self.text_encoder = text_encoder
        self.penultimate = penultimate
        self.pooled = pooled

    def forward(self, input_ids):
        out = self.text_encoder(input_ids, output_hidden_states=self.penultimate, return_dict=True)
        hidden = out.hidden_states[-2] if self.penultimate else out.last_hidden_state
        if self.pooled:
            return hidden, out.text_embeds
        return hidden


def widened_conv(conv, extra_channels):
    """The convolution with extra_channels more input channels whose weights are zero: it gives the same sums."""
    wide = nn.Conv2d(conv.in_channels + extra_channels, conv.out_channels, conv.kernel_size, conv.stride,
                     conv.padding, conv.dilation, conv.groups, conv.bias is not None, conv.padding_mode)
    with torch.no_grad():
        wide.weight.zero_()
        wide.weight[:, :conv.in_channels] = conv.weight
        if conv.bias is not None:
            wide.bias.copy_(conv.bias)
    return wide


class UNetSample(nn.Module):
    """UNet2DConditionModel -> .sample, taking (sample, timestep, context, *extras) in the order of extra_inputs
    (model_index.json's unet_extra_inputs): the UNet's added_cond_kwargs, and its timestep_cond.

    The service's libtorch (2.7.1, oneDNN's AVX2 kernels) computes a convolution with more than 8 input channels
    that are not a multiple of 8, such as an inpainting UNet's first one (9), wrongly on the CPU (up to 1 in the
    first layer's output, now and then NaN). So such a UNet is saved with zero input channels appended up to a
    multiple of 8 and its first convolution widened with zero weights, which changes no sum."""

    def __init__(self, unet, extra_inputs=()):
        super().__init__()
        in_channels = unet.conv_in.in_channels
        self.padding = -in_channels % 8 if in_channels > 8 else 0
        if self.padding:
            if unet.conv_in.groups != 1:
                raise SystemExit("the UNet's first convolution is grouped; the export cannot widen it")
            unet = deepcopy(unet)
            unet.conv_in = widened_conv(unet.conv_in, self.padding)
        self.unet = unet
        self.extra_inputs = list(extra_inputs)

    def forward(self, sample, timestep, context, *extras):
        if self.padding:
            sample = nn.functional.pad(sample, (0, 0, 0, 0, 0, self.padding))
        inputs = dict(zip(self.extra_inputs, extras))
        timestep_cond = inputs.pop(TIMESTEP_COND, None)
        return self.unet(sample, timestep, encoder_hidden_states=context, timestep_cond=timestep_cond,
                         added_cond_kwargs=inputs or None, return_dict=False)[0]


def vae_without(vae, *parts):
    """A copy of the VAE without the parts a direction does not use, so that its file does not carry them."""
    copy = deepcopy(vae)
    for part in parts:
        setattr(copy, part, None)
    return copy


class VaeDecode(nn.Module):
    """AutoencoderKL.decode (post_quant_conv + decoder) of unscaled latents -> image in [-1,1]."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae_without(vae, "encoder", "quant_conv")

    def forward(self, latents):
        return self.vae.decode(latents, return_dict=False)[0]


class VaeEncodeDistribution(nn.Module):
    """AutoencoderKL.encode(image).latent_dist -> its mean and std concatenated on channels ([B,2C,h,w], unscaled):
    img2img draws mean + std * noise from the image's generator, as diffusers' retrieve_latents does."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae_without(vae, "decoder", "post_quant_conv")

    def forward(self, image):
        dist = self.vae.encode(image).latent_dist
        return torch.cat([dist.mean, dist.std], dim=1)


def load_make_tokenizer_json():
    path = os.path.join(HERE, "clip", "make_tokenizer_json.py")
    spec = importlib.util.spec_from_file_location("make_tokenizer_json", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save_tokenizer_json(tokenizer, path):
    """Writes a CLIP tokenizer in Hugging Face tokenizers format and returns how it cleans text before BPE (the
    model_index.json key text_cleaning). A slow tokenizer (the CLIPTokenizer that SD checkpoints name) needs no
    Rust tokenizer: its vocabulary and merges are written as transformers' converter would."""
    if getattr(tokenizer, "is_fast", False):
        tokenizer.backend_tokenizer.save(path)
        return "tokenizer_json"
    make = load_make_tokenizer_json()
    if (tokenizer.bos_token, tokenizer.eos_token) != (make.START_OF_TEXT, make.END_OF_TEXT):
        raise SystemExit(f"unexpected CLIP special tokens {tokenizer.bos_token!r}, {tokenizer.eos_token!r}")
    merges = sorted(tokenizer.bpe_ranks, key=tokenizer.bpe_ranks.get)
    make.write(make.tokenizer_json(dict(tokenizer.encoder), merges), path)
    if getattr(tokenizer, "fix_text", None) is None:
        return "transformers_slow"  # transformers without ftfy: its BasicTokenizer cleans the text
    print("note: ftfy is installed, so transformers cleans prompts with ftfy.fix_text; the service's nearest"
          " cleaning is OpenAI CLIP's without ftfy (text_cleaning \"openai\")")
    return "openai"


def default_scheduler(config):
    """The service's name for the checkpoint's own scheduler (_class_name and the config it was saved with)."""
    defaults = set(config.get("_use_default_values", []))

    def value(key, default):
        return default if key in defaults else config.get(key, default)

    class_name = config.get("_class_name")
    name = SERVICE_SCHEDULERS.get(class_name)
    if name is None:
        raise SystemExit(f"the checkpoint's scheduler {class_name} has no counterpart in the service; "
                         "choose one with --default-scheduler")
    if name == "dpmpp_2m":
        algorithm = value("algorithm_type", "dpmsolver++")
        if algorithm == "sde-dpmsolver++":
            name = "dpmpp_2m_sde"
        if algorithm not in ("dpmsolver++", "sde-dpmsolver++") or value("solver_order", 2) != 2:
            print(f"note: {class_name} with algorithm_type {algorithm} and solver_order {value('solver_order', 2)}"
                  f" is served as {name} (second-order DPM-Solver++)")
    if value("use_karras_sigmas", False) and name in KARRAS_SCHEDULERS:
        name += "_karras"
    return name


def load_pipeline(source):
    """The checkpoint's text-to-image pipeline (SD 1.x/2.x or SDXL), float32 on the CPU."""
    import diffusers
    class_name = diffusers.DiffusionPipeline.load_config(source).get("_class_name", "")
    if "XL" in class_name:
        pipeline_class = getattr(diffusers, class_name, diffusers.StableDiffusionXLPipeline)
        return pipeline_class.from_pretrained(source, torch_dtype=torch.float32)
    return diffusers.StableDiffusionPipeline.from_pretrained(source, torch_dtype=torch.float32, safety_checker=None,
                                                             requires_safety_checker=False)


def export(pipeline, out, name, default_steps, default_guidance_scale, scheduler=None, check_batch_sizes=(1, 2),
           check_latent_sizes=None, description=None):
    """Writes the model folder of a loaded StableDiffusion(XL)Pipeline."""
    unet_config = pipeline.unet.config
    xl = hasattr(pipeline, "text_encoder_2")
    if unet_config.class_embed_type is not None:
        raise SystemExit("this UNet takes class labels, which the service does not give")
    latent_channels = pipeline.vae.config.latent_channels
    # an inpainting UNet takes the latents, the mask (one channel) and the masked image's latents
    inpainting = unet_config.in_channels == 2 * latent_channels + 1
    if unet_config.in_channels != latent_channels and not inpainting:
        raise SystemExit(f"the UNet takes {unet_config.in_channels} channels, neither the VAE's {latent_channels}"
                         f" nor an inpainting UNet's {2 * latent_channels + 1}; the service does not run it")
    if getattr(pipeline.vae.config, "latents_mean", None) is not None:
        raise SystemExit("this VAE normalises latents with latents_mean and latents_std, which the service does not")
    added_conditions = unet_config.addition_embed_type == "text_time"
    if unet_config.addition_embed_type is not None and not added_conditions:
        raise SystemExit(f"unsupported UNet addition_embed_type {unet_config.addition_embed_type}")
    # a guidance-distilled UNet (LCM) takes the embedding of the guidance scale; the pipelines then make no
    # unconditional pass
    time_cond_proj_dim = getattr(unet_config, "time_cond_proj_dim", None)
    extra_inputs = (list(ADDED_CONDITIONS) if added_conditions else []) + \
        ([TIMESTEP_COND] if time_cond_proj_dim is not None else [])

    pairs = [(t, e) for t, e in ((pipeline.tokenizer, pipeline.text_encoder),
                                 (getattr(pipeline, "tokenizer_2", None), getattr(pipeline, "text_encoder_2", None)))
             if e is not None]
    encoders = [TextEncoderHidden(encoder, penultimate=xl, pooled=xl and i == len(pairs) - 1)
                for i, (_, encoder) in enumerate(pairs)]
    hidden_sizes = [encoder.config.hidden_size for _, encoder in pairs]
    pooled_size = pairs[-1][1].config.projection_dim if xl else None
    vae_scale_factor = 2 ** (len(pipeline.vae.config.block_out_channels) - 1)
    extra = {}
    if len(pairs) > 1:
        extra["pad_token_id_2"] = pairs[1][0].pad_token_id
    if xl:
        extra["force_zeros_for_empty_prompt"] = bool(pipeline.config.get("force_zeros_for_empty_prompt", True))
    extra_sizes = []
    if extra_inputs:
        extra["unet_extra_inputs"] = extra_inputs
    if added_conditions:
        # diffusers' _get_add_time_ids; a refiner (requires_aesthetics_score) takes a score instead of the target size
        last = "aesthetic_score" if pipeline.config.get("requires_aesthetics_score", False) else "target_size"
        extra["time_ids"] = ["original_size", "crops_coords_top_left", last]
        time_id_count = sum(TIME_ID_PARTS[part] for part in extra["time_ids"])
        extra_sizes += [pooled_size, time_id_count]
        expected = unet_config.addition_time_embed_dim * time_id_count + pooled_size
        if pipeline.unet.add_embedding.linear_1.in_features != expected:
            raise SystemExit(f"the UNet's add_embedding takes {pipeline.unet.add_embedding.linear_1.in_features}"
                             f" values, not the {expected} of {time_id_count} time ids and a pooled output")
    if time_cond_proj_dim is not None:
        extra["time_cond_proj_dim"] = time_cond_proj_dim
        extra_sizes.append(time_cond_proj_dim)
    if inpainting:
        extra["unet_in_channels"] = unet_config.in_channels
    if description:
        extra["description"] = description
    scheduler_config = {"_class_name": type(pipeline.scheduler).__name__, **dict(pipeline.scheduler.config)}
    if "_use_default_values" in scheduler_config:  # a set in diffusers: sorted, so that exports are reproducible
        scheduler_config["_use_default_values"] = sorted(scheduler_config["_use_default_values"])

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_files = []
        cleanings = set()
        for i, (tokenizer, _) in enumerate(pairs):
            tokenizer_files.append(os.path.join(tmp, f"tokenizer{i}.json"))
            cleanings.add(save_tokenizer_json(tokenizer, tokenizer_files[-1]))
        if len(cleanings) != 1:
            raise SystemExit(f"the tokenizers clean text differently ({sorted(cleanings)}); the service has one"
                             " cleaning per model")
        index = model_folder.model_index(
            name=name,
            sample_size=unet_config.sample_size * vae_scale_factor,
            vae_scale_factor=vae_scale_factor,
            latent_channels=latent_channels,
            scaling_factor=pipeline.vae.config.scaling_factor,
            text_hidden_size=sum(hidden_sizes),
            default_steps=default_steps,
            default_guidance_scale=default_guidance_scale,
            default_scheduler=scheduler or default_scheduler(scheduler_config),
            max_text_length=pairs[0][0].model_max_length,
            pad_token_id=pairs[0][0].pad_token_id,
            text_cleaning=cleanings.pop(),
            **extra)
        model_folder.write_model_folder(
            out,
            text_encoder=encoders[0],
            text_encoder_2=encoders[1] if len(encoders) > 1 else None,
            unet=UNetSample(pipeline.unet, extra_inputs),
            vae_decoder=VaeDecode(pipeline.vae),
            vae_encoder=VaeEncodeDistribution(pipeline.vae),
            vae_encoder_std=True,
            tokenizer_json=tokenizer_files[0],
            tokenizer_2_json=tokenizer_files[1] if len(tokenizer_files) > 1 else None,
            text_hidden_sizes=hidden_sizes,
            pooled_size=pooled_size,
            unet_extra_sizes=extra_sizes,
            scheduler_config=scheduler_config,
            index=index,
            check_batch_sizes=check_batch_sizes,
            check_latent_sizes=check_latent_sizes,
            debug_info=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="diffusers pipeline folder or hub id")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--name", default="stable-diffusion")
    parser.add_argument("--default-steps", type=int, default=None,
                        help="default: 25, or 4 for a guidance-distilled (LCM) UNet as diffusers' LCM pipeline")
    parser.add_argument("--default-guidance-scale", type=float, default=None,
                        help="default: diffusers' own (7.5 for SD 1.x/2.x, 8.5 for an LCM of them, 5.0 for SDXL)")
    parser.add_argument("--default-scheduler", default=None,
                        help="a service scheduler name; default: the checkpoint's own scheduler")
    parser.add_argument("--check-batch-sizes", default="1,2",
                        help="batch sizes the saved files are re-run at (SD's UNet is slow on CPU)")
    args = parser.parse_args()

    pipeline = load_pipeline(args.source)
    lcm = getattr(pipeline.unet.config, "time_cond_proj_dim", None) is not None
    steps = args.default_steps or (4 if lcm else 25)
    guidance = args.default_guidance_scale
    if guidance is None:
        guidance = 5.0 if hasattr(pipeline, "text_encoder_2") else 8.5 if lcm else 7.5
    export(pipeline, args.out, args.name, steps, guidance, scheduler=args.default_scheduler,
           check_batch_sizes=[int(b) for b in args.check_batch_sizes.split(",")])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
