"""Exports a diffusers Stable Diffusion (1.x) pipeline to the service's model-folder layout.

    python3 src/training/export_diffusers.py --source /path/to/stable-diffusion-v1-5 --out models/sd15

Needs torch, diffusers and transformers (not installed on the build machine; the service itself needs
none of them). --source is a local diffusers folder (model_index.json, unet/, vae/, text_encoder/,
tokenizer/, scheduler/) or a hub id if the machine can download. The folder is written by
model_folder.write_model_folder, the same code that writes the bundled model, with SD 1.5's numbers:
sample_size 512, vae_scale_factor 8, scaling_factor from the VAE config (0.18215).
"""
import argparse
import os
import tempfile

import torch
from torch import nn

import model_folder


class TextEncoderHidden(nn.Module):
    """CLIPTextModel -> last_hidden_state [B,77,768]."""

    def __init__(self, text_encoder):
        super().__init__()
        self.text_encoder = text_encoder

    def forward(self, input_ids):
        return self.text_encoder(input_ids, return_dict=False)[0]


class UNetSample(nn.Module):
    """UNet2DConditionModel -> .sample."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, context):
        return self.unet(sample, timestep, encoder_hidden_states=context, return_dict=False)[0]


class VaeDecode(nn.Module):
    """AutoencoderKL.decode (post_quant_conv + decoder) of unscaled latents -> image in [-1,1]."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latents):
        return self.vae.decode(latents, return_dict=False)[0]


class VaeEncodeMean(nn.Module):
    """AutoencoderKL.encode(image).latent_dist.mean (unscaled)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, image):
        return self.vae.encode(image).latent_dist.mean


def save_tokenizer_json(pipeline, source, path):
    """Writes the pipeline's CLIP tokenizer in Hugging Face tokenizers format (a fast tokenizer's backend)."""
    tokenizer = pipeline.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        from transformers import CLIPTokenizerFast
        tokenizer = CLIPTokenizerFast.from_pretrained(source, subfolder="tokenizer")
    tokenizer.backend_tokenizer.save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="diffusers pipeline folder or hub id")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--name", default="stable-diffusion-v1-5")
    parser.add_argument("--default-steps", type=int, default=25)
    parser.add_argument("--default-guidance-scale", type=float, default=7.5)
    parser.add_argument("--default-scheduler", default="dpmpp_2m")
    parser.add_argument("--check-batch-sizes", default="1,2",
                        help="batch sizes the saved files are re-run at (SD's UNet is slow on CPU)")
    args = parser.parse_args()

    from diffusers import StableDiffusionPipeline
    pipeline = StableDiffusionPipeline.from_pretrained(args.source, torch_dtype=torch.float32, safety_checker=None)
    vae_scale_factor = 2 ** (len(pipeline.vae.config.block_out_channels) - 1)
    index = model_folder.model_index(
        name=args.name,
        sample_size=pipeline.unet.config.sample_size * vae_scale_factor,
        vae_scale_factor=vae_scale_factor,
        latent_channels=pipeline.unet.config.in_channels,
        scaling_factor=pipeline.vae.config.scaling_factor,
        text_hidden_size=pipeline.text_encoder.config.hidden_size,
        default_steps=args.default_steps,
        default_guidance_scale=args.default_guidance_scale,
        default_scheduler=args.default_scheduler)
    scheduler_config = {"_class_name": type(pipeline.scheduler).__name__, **dict(pipeline.scheduler.config)}

    with tempfile.TemporaryDirectory() as tmp:
        tokenizer_json = os.path.join(tmp, "tokenizer.json")
        save_tokenizer_json(pipeline, args.source, tokenizer_json)
        model_folder.write_model_folder(
            args.out,
            text_encoder=TextEncoderHidden(pipeline.text_encoder),
            unet=UNetSample(pipeline.unet),
            vae_decoder=VaeDecode(pipeline.vae),
            vae_encoder=VaeEncodeMean(pipeline.vae),
            tokenizer_json=tokenizer_json,
            scheduler_config=scheduler_config,
            index=index,
            check_batch_sizes=[int(b) for b in args.check_batch_sizes.split(",")])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
