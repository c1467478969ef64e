"""Writes a random-weight tiny model (the real architecture at tiny widths) for the service's tests.

    /usr/bin/python3 src/training/make_test_model.py [--out src/test/resources/models/tiny]
    /usr/bin/python3 src/training/make_test_model.py --guidance-embedding [--out src/test/resources/models/tiny-lcm]

Deterministic (fixed seed); the networks are a few hundred KB, the folder is dominated by tokenizer.json.
--guidance-embedding makes a guidance-distilled (LCM-style) model instead: its UNet also takes timestep_cond,
the guidance-scale embedding, and its folder says so (unet_extra_inputs, time_cond_proj_dim, LCMScheduler).
"""
import argparse
import os

import numpy as np
import torch

import model_folder
import shapes_data
from clip_tokenizer import ClipTokenizer
from models import TextEncoder, UNet, VaeDecoder, VaeEncoder, VaeEncoderMean

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_TOKENIZER_JSON = os.path.join(HERE, "clip", "tokenizer.json")


def measure_scaling_factor(encoder, images):
    """1 / std of the encoder's latent means over images, so that scaled latents have unit variance."""
    with torch.no_grad():
        return float(1.0 / encoder(images)[0].std())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="default: src/test/resources/models/tiny (tiny-lcm with --guidance-embedding)")
    parser.add_argument("--tokenizer", default=DEFAULT_TOKENIZER_JSON, help="Hugging Face CLIP tokenizer.json")
    parser.add_argument("--guidance-embedding", action="store_true", help="an LCM-style model taking timestep_cond")
    args = parser.parse_args()
    name = "tiny-lcm" if args.guidance_embedding else "tiny"
    out = args.out or os.path.join(REPO, "src", "test", "resources", "models", name)
    time_cond_dim = 32 if args.guidance_embedding else 0

    torch.manual_seed(0)
    hidden = 16
    clip_ids = ClipTokenizer().grammar_clip_ids(shapes_data.grammar_words())
    text_encoder = TextEncoder(clip_ids, dim=hidden, layers=1, heads=2)
    unet = UNet(context_dim=hidden, channels=(8, 16, 16), attention=(False, True, False), blocks_per_level=1,
                heads=2, time_cond_dim=time_cond_dim)
    # Training starts the UNet's output conv (and the guidance projection) at zero; random weights here make its
    # output depend on every input, so tests can tell batch members, timesteps, prompts and guidance apart.
    torch.nn.init.normal_(unet.conv_out.weight, std=0.05)
    if unet.cond_proj is not None:
        torch.nn.init.normal_(unet.cond_proj.weight, std=0.5)
    encoder = VaeEncoder(channels=(8, 16, 16))
    decoder = VaeDecoder(channels=(8, 16, 16))

    rng = np.random.default_rng(0)
    images = torch.from_numpy(shapes_data.to_tensor_range(
        shapes_data.render(rng, shapes_data.random_attributes(rng, 32))))
    scaling_factor = round(measure_scaling_factor(encoder, images), 5)

    extra = dict(unet_extra_inputs=[model_folder.TIMESTEP_COND], time_cond_proj_dim=time_cond_dim) \
        if time_cond_dim else {}
    index = model_folder.model_index(
        name=name, sample_size=shapes_data.IMAGE_SIZE, vae_scale_factor=4, latent_channels=4,
        scaling_factor=scaling_factor, text_hidden_size=hidden, default_steps=4,
        default_guidance_scale=1.5 if time_cond_dim else 5.0, default_scheduler="lcm" if time_cond_dim else "ddim",
        description="random weights, for tests only", **extra)
    model_folder.write_model_folder(
        out, text_encoder=text_encoder, unet=unet, vae_decoder=decoder, vae_encoder=VaeEncoderMean(encoder),
        tokenizer_json=args.tokenizer, index=index, check_latent_sizes=[16, 24],
        scheduler_config=model_folder.LCM_SCHEDULER_CONFIG if time_cond_dim else model_folder.SD15_SCHEDULER_CONFIG,
        unet_extra_sizes=[time_cond_dim] if time_cond_dim else None)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
