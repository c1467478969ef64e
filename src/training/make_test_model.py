"""Writes a random-weight tiny model (the real architecture at tiny widths) for the service's tests.

    /usr/bin/python3 src/training/make_test_model.py [--out src/test/resources/models/tiny]

Deterministic (fixed seed); the networks are a few hundred KB, the folder is dominated by tokenizer.json.
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
    parser.add_argument("--out", default=os.path.join(REPO, "src", "test", "resources", "models", "tiny"))
    parser.add_argument("--tokenizer", default=DEFAULT_TOKENIZER_JSON, help="Hugging Face CLIP tokenizer.json")
    args = parser.parse_args()

    torch.manual_seed(0)
    hidden = 16
    clip_ids = ClipTokenizer().grammar_clip_ids(shapes_data.grammar_words())
    text_encoder = TextEncoder(clip_ids, dim=hidden, layers=1, heads=2)
    unet = UNet(context_dim=hidden, channels=(8, 16, 16), attention=(False, True, False), blocks_per_level=1,
                heads=2)
    # Training starts the UNet's output conv at zero; random weights here make its output depend on
    # every input, so tests can tell batch members, timesteps and prompts apart.
    torch.nn.init.normal_(unet.conv_out.weight, std=0.05)
    encoder = VaeEncoder(channels=(8, 16, 16))
    decoder = VaeDecoder(channels=(8, 16, 16))

    rng = np.random.default_rng(0)
    images = torch.from_numpy(shapes_data.to_tensor_range(
        shapes_data.render(rng, shapes_data.random_attributes(rng, 32))))
    scaling_factor = round(measure_scaling_factor(encoder, images), 5)

    index = model_folder.model_index(
        name="tiny", sample_size=shapes_data.IMAGE_SIZE, vae_scale_factor=4, latent_channels=4,
        scaling_factor=scaling_factor, text_hidden_size=hidden, default_steps=4, default_guidance_scale=5.0,
        default_scheduler="ddim", description="random weights, for tests only")
    model_folder.write_model_folder(
        args.out, text_encoder=text_encoder, unet=unet, vae_decoder=decoder, vae_encoder=VaeEncoderMean(encoder),
        tokenizer_json=args.tokenizer, scheduler_config=model_folder.SD15_SCHEDULER_CONFIG, index=index,
        check_latent_sizes=[16, 24])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
