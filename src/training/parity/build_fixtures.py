"""Builds the diffusers parity fixtures: tiny SD 1.x, SD 2.x and SDXL pipelines made of diffusers' and transformers'
own classes (random weights from fixed seeds, the real CLIP vocabulary), each exported with export_diffusers.py, and
the images diffusers' own pipelines make from them on the CPU, for DiffusersParityTest.

    make_fixtures.sh (next to this file) prepares the Python environment and runs this script; by hand:
    python3 build_fixtures.py --out src/test/resources/parity [--only sd15,sdxl] [--work SCRATCH_DIR]

Writes OUT/models/<model>/ (the exported model folders the test serves) and OUT/references/<model>/ (cases.json,
the reference PNGs and the img2img input pictures). Each case of cases.json holds the body of the service request
("request"), what diffusers was called with ("diffusers") and the reference images, one per image of the request.
Diffusers' images are (x * 255).round() of its float output, as its numpy_to_pil. The versions that made them are
in cases.json too.
"""
import argparse
import filecmp
import json
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy
import PIL
import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)
# the CLIP tokenizer.json of the bundled model, which every fixture's tokenizer links to
BUNDLED_TOKENIZER = os.path.join(os.path.dirname(TRAINING), "main", "models", "shapes", "tokenizer", "tokenizer.json")

import diffusers  # noqa: E402
import transformers  # noqa: E402
from diffusers import (AutoencoderKL, DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler,  # noqa: E402
                       EulerAncestralDiscreteScheduler, EulerDiscreteScheduler, HeunDiscreteScheduler,
                       LMSDiscreteScheduler, PNDMScheduler, StableDiffusionImg2ImgPipeline,
                       StableDiffusionInpaintPipeline, StableDiffusionPipeline,
                       StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline, UNet2DConditionModel,
                       UniPCMultistepScheduler)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer  # noqa: E402

import export_diffusers  # noqa: E402

# The scheduler files of the real checkpoints, key for key, so that diffusers fills in the same defaults.
SD15_SCHEDULER = {  # runwayml/stable-diffusion-v1-5
    "_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": False,
    "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None, "clip_sample": False}
SD2_SCHEDULER = {  # stabilityai/stable-diffusion-2-1, with trailing timesteps as later SD 2.x fine-tunes set them
    "_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "num_train_timesteps": 1000,
    "prediction_type": "v_prediction", "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
    "trained_betas": None, "timestep_spacing": "trailing"}
SDXL_SCHEDULER = {  # stabilityai/stable-diffusion-xl-base-1.0
    "_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.19.0.dev0", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear",
    "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": False,
    "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": None,
    "use_karras_sigmas": False}

# The service's scheduler names and what each means in diffusers: a class, and the keys the service sets
# (Schedulers.java): every name that diffusers has.
SCHEDULERS = {
    "ddpm": (DDPMScheduler, {}),
    "ddim": (DDIMScheduler, {}),
    "pndm": (PNDMScheduler, {}),
    "lms": (LMSDiscreteScheduler, {"use_karras_sigmas": False}),
    "lms_karras": (LMSDiscreteScheduler, {"use_karras_sigmas": True}),
    "euler": (EulerDiscreteScheduler, {"use_karras_sigmas": False}),
    "euler_karras": (EulerDiscreteScheduler, {"use_karras_sigmas": True}),
    "euler_ancestral": (EulerAncestralDiscreteScheduler, {}),
    "heun": (HeunDiscreteScheduler, {"use_karras_sigmas": False}),
    "heun_karras": (HeunDiscreteScheduler, {"use_karras_sigmas": True}),
    "dpmpp_2m": (DPMSolverMultistepScheduler,
                 {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": False}),
    "dpmpp_2m_karras": (DPMSolverMultistepScheduler,
                        {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True}),
    "dpmpp_2m_sde": (DPMSolverMultistepScheduler,
                     {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "use_karras_sigmas": False}),
    "dpmpp_2m_sde_karras": (DPMSolverMultistepScheduler,
                            {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "use_karras_sigmas": True}),
    "unipc": (UniPCMultistepScheduler, {"use_karras_sigmas": False}),
    "unipc_karras": (UniPCMultistepScheduler, {"use_karras_sigmas": True}),
}

FOX = "a watercolor painting of a fox in the snow"
CUBE = "a green cube on a wooden table"
NEGATIVE = "blurry, low quality"
# HTML entities: transformers' slow CLIPTokenizer without ftfy keeps them as they are (OpenAI's reference unescapes)
ENTITIES = "salt &amp; pepper &lt;3 caf&eacute; &#x263A;"
# control and format characters (removed), CJK ideographs (split into words), a capital sigma, an accent
UNICODE = "Ein Fuchs\u200b im Schnee\u0007 \u72d0\u72f8 im \u03a3NOW, caf\u00e9"
LONG = ", ".join(["a watercolor painting of a fox in the snow at dawn"] * 8)  # more than 77 tokens


def fixed_seed(seed):
    torch.manual_seed(seed)
    return seed


def tokenizer_files(tokenizer_json, out_dir):
    """vocab.json and merges.txt of the project's CLIP tokenizer.json (OpenAI's BPE), for transformers' slow
    CLIPTokenizer."""
    tok = json.load(open(tokenizer_json, encoding="utf-8"))
    os.makedirs(out_dir, exist_ok=True)
    vocab = os.path.join(out_dir, "vocab.json")
    merges = os.path.join(out_dir, "merges.txt")
    with open(vocab, "w", encoding="utf-8") as f:
        json.dump(tok["model"]["vocab"], f, ensure_ascii=False)
    with open(merges, "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(m if isinstance(m, str) else " ".join(m)
                                              for m in tok["model"]["merges"]) + "\n")
    return vocab, merges


def text_config(hidden, act, **kw):
    return CLIPTextConfig(bos_token_id=49406, eos_token_id=49407, pad_token_id=1, vocab_size=49408,
                          hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=2,
                          num_attention_heads=2, max_position_embeddings=77, layer_norm_eps=1e-5,
                          hidden_act=act, **kw)


def tiny_vae(scaling_factor):
    fixed_seed(0)
    return AutoencoderKL(block_out_channels=[8, 16, 16], in_channels=3, out_channels=3,
                         down_block_types=["DownEncoderBlock2D"] * 3, up_block_types=["UpDecoderBlock2D"] * 3,
                         layers_per_block=1, norm_num_groups=4, latent_channels=4, sample_size=64,
                         scaling_factor=scaling_factor)


def tiny_unet(cross_attention_dim, in_channels=4, **kw):
    """in_channels 9: an inpainting UNet (latents, mask and masked image's latents)."""
    fixed_seed(0)
    return UNet2DConditionModel(
        sample_size=16, in_channels=in_channels, out_channels=4, block_out_channels=(8, 16), layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim, norm_num_groups=8, **kw)


@torch.no_grad()
def sensitize(unet, probe_context, added=None):
    """Random weights make a UNet whose output hardly depends on the timestep or the text (GroupNorm removes most of
    the time embedding; the cross-attention output is small) and whose scale is arbitrary, so that every
    deterministic sampler ends at nearly the same image and a wrong timestep or text would go unseen. A few layers
    are scaled so that they matter, and the output to unit standard deviation on a probe."""
    for name, module in unet.named_modules():
        if name.endswith("time_emb_proj"):
            module.weight.mul_(4)
            module.bias.mul_(4)
        if name.endswith("attn2.to_out.0"):
            module.weight.mul_(4)
    if added is not None:
        unet.add_embedding.linear_1.weight.mul_(4)
    x = torch.randn(1, unet.config.in_channels, 16, 16, generator=torch.Generator().manual_seed(1))
    latent_channels = unet.config.out_channels
    if unet.config.in_channels > latent_channels:
        # an inpainting UNet (latents, mask, masked image's latents): the tiny VAE's latents are some 16 times smaller
        # than a real VAE's, so that the masked image would hardly matter
        unet.conv_in.weight[:, latent_channels + 1:].mul_(16)
        x[:, latent_channels + 1:] /= 16
    std = unet(x, 500, encoder_hidden_states=probe_context, added_cond_kwargs=added).sample.std().item()
    unet.conv_out.weight.mul_(1.0 / std)
    unet.conv_out.bias.mul_(1.0 / std)


def write_scheduler_file(pipeline_dir, config):
    """The checkpoint's scheduler file exactly (save_pretrained writes every key, which would hide which ones
    diffusers fills in with each class's defaults)."""
    with open(os.path.join(pipeline_dir, "scheduler", "scheduler_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def build_sd(pipeline_dir, vocab, merges, v2, unet_in_channels=4):
    """SD 1.x (CLIP ViT-L text encoder, epsilon, PNDM) or SD 2.x (OpenCLIP text encoder padded with "!",
    linear projections, v-prediction, DDIM); with unet_in_channels 9 an inpainting checkpoint (its UNet also takes
    the mask and the masked image's latents, and the folder names StableDiffusionInpaintPipeline)."""
    fixed_seed(0)
    encoder = CLIPTextModel(text_config(8, "gelu" if v2 else "quick_gelu"))
    tokenizer = CLIPTokenizer(vocab, merges, model_max_length=77, **({"pad_token": "!"} if v2 else {}))
    unet = tiny_unet(8, in_channels=unet_in_channels, attention_head_dim=(2, 4) if v2 else 2,
                     use_linear_projection=v2, upcast_attention=v2)
    ids = tokenizer([FOX], padding="max_length", max_length=77, return_tensors="pt").input_ids
    sensitize(unet, encoder(ids)[0])
    config = SD2_SCHEDULER if v2 else SD15_SCHEDULER
    pipeline_class = StableDiffusionPipeline if unet_in_channels == 4 else StableDiffusionInpaintPipeline
    pipe = pipeline_class(vae=tiny_vae(0.18215), text_encoder=encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=(DDIMScheduler if v2 else PNDMScheduler).from_config(config),
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(pipeline_dir)
    write_scheduler_file(pipeline_dir, config)


def build_sdxl(pipeline_dir, vocab, merges):
    """SDXL: CLIP ViT-L and OpenCLIP bigG-style encoders (penultimate hidden states concatenated), the second's
    pooled projection and the size/crop time ids as the UNet's added conditions, Euler with leading timesteps."""
    fixed_seed(0)
    encoder = CLIPTextModel(text_config(8, "quick_gelu"))
    fixed_seed(1)
    encoder_2 = CLIPTextModelWithProjection(text_config(8, "gelu", projection_dim=8))
    tokenizer = CLIPTokenizer(vocab, merges, model_max_length=77)
    tokenizer_2 = CLIPTokenizer(vocab, merges, model_max_length=77, pad_token="!")
    unet = tiny_unet(16, attention_head_dim=(2, 4), use_linear_projection=True, addition_embed_type="text_time",
                     addition_time_embed_dim=8, transformer_layers_per_block=(1, 2),
                     projection_class_embeddings_input_dim=6 * 8 + 8)
    ids = tokenizer([FOX], padding="max_length", max_length=77, return_tensors="pt").input_ids
    ids_2 = tokenizer_2([FOX], padding="max_length", max_length=77, return_tensors="pt").input_ids
    out_2 = encoder_2(ids_2, output_hidden_states=True)
    context = torch.cat([encoder(ids, output_hidden_states=True).hidden_states[-2], out_2.hidden_states[-2]], dim=-1)
    sensitize(unet, context, {"text_embeds": out_2.text_embeds,
                              "time_ids": torch.tensor([[64.0, 64.0, 0.0, 0.0, 64.0, 64.0]])})
    pipe = StableDiffusionXLPipeline(vae=tiny_vae(0.13025), text_encoder=encoder, text_encoder_2=encoder_2,
                                     tokenizer=tokenizer, tokenizer_2=tokenizer_2, unet=unet,
                                     scheduler=EulerDiscreteScheduler.from_config(SDXL_SCHEDULER),
                                     force_zeros_for_empty_prompt=True, add_watermarker=False)
    pipe.save_pretrained(pipeline_dir)
    write_scheduler_file(pipeline_dir, SDXL_SCHEDULER)


def link_tokenizers(model_dir):
    """Replaces each tokenizer.json of an exported folder that equals the bundled model's by a relative link to it,
    so that the repository holds one copy."""
    for sub in ("tokenizer", "tokenizer_2"):
        path = os.path.join(model_dir, sub, "tokenizer.json")
        if os.path.isfile(path) and filecmp.cmp(path, BUNDLED_TOKENIZER, shallow=False):
            os.remove(path)
            os.symlink(os.path.relpath(BUNDLED_TOKENIZER, os.path.dirname(path)), path)


def init_picture(width, height):
    """img2img's input: a few shapes in flat colours, the kind of picture a VAE keeps."""
    image = Image.new("RGB", (width, height), (40, 70, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 8, height // 8, width // 2, height // 2), fill=(220, 40, 30))
    draw.rectangle((width // 2, height // 2, width - width // 8, height - height // 10), fill=(240, 220, 60))
    return image


def case(name, prompt, scheduler=None, seed=7, width=64, height=64, steps=20, guidance=None, negative="",
         num_images=1, init=None, strength=None, eta=None, guidance_rescale=None):
    """A case: its name, the body of the service request, and its img2img input picture (or None)."""
    request = {"prompt": prompt, "negative_prompt": negative, "seed": seed, "width": width, "height": height,
               "steps": steps, "num_images": num_images}
    for key, value in (("scheduler", scheduler), ("guidance_scale", guidance), ("strength", strength),
                       ("eta", eta), ("guidance_rescale", guidance_rescale)):
        if value is not None:
            request[key] = value
    return {"name": name, "request": request, "init_image": init}


def cases():
    """Every scheduler at the model's size; then sizes, guidance, negative prompts, tokenizer edge cases, img2img
    and several images per request."""
    out = [case(f"{name}_fox", FOX, scheduler=name) for name in SCHEDULERS]
    out += [
        case("default_scheduler_cube", CUBE, seed=11),
        case("euler_fox_96x64", FOX, scheduler="euler", width=96, height=64, seed=3),
        case("dpmpp_2m_cube_64x96", CUBE, scheduler="dpmpp_2m", width=64, height=96, seed=4),
        case("ddim_fox_unguided", FOX, scheduler="ddim", guidance=1.0, seed=5),
        case("euler_ancestral_cube_unguided_96x64", CUBE, scheduler="euler_ancestral", guidance=1.0, width=96,
             height=64, seed=6),
        case("dpmpp_2m_fox_negative", FOX, scheduler="dpmpp_2m", negative=NEGATIVE, seed=8),
        case("unipc_cube_negative_rescaled", CUBE, scheduler="unipc", negative=NEGATIVE, guidance_rescale=0.7,
             seed=9),
        case("ddim_eta_fox", FOX, scheduler="ddim", eta=1.0, seed=10),
        case("euler_entities", ENTITIES, scheduler="euler", seed=12),
        case("euler_unicode", UNICODE, scheduler="euler", seed=13),
        case("ddim_long_prompt", LONG, scheduler="ddim", seed=14),
        case("euler_ancestral_fox_x3", FOX, scheduler="euler_ancestral", num_images=3, seed=15),
        case("dpmpp_2m_sde_cube_x2_96x64", CUBE, scheduler="dpmpp_2m_sde", num_images=2, width=96, height=64,
             seed=16),
        case("img2img_ddim_fox", FOX, scheduler="ddim", init="init_64x64.png", strength=0.6, seed=42),
        case("img2img_euler_cube_96x64", CUBE, scheduler="euler", init="init_96x64.png", strength=0.5, width=96,
             seed=43),
        case("img2img_dpmpp_2m_fox_x2", FOX, scheduler="dpmpp_2m", init="init_64x64.png", strength=0.7,
             num_images=2, seed=44),
        case("img2img_euler_ancestral_negative", CUBE, scheduler="euler_ancestral", init="init_64x64.png",
             strength=0.8, negative=NEGATIVE, seed=45),
    ]
    return out


def request_scheduler(request, checkpoint_scheduler):
    """The diffusers scheduler of a request's scheduler name: its class, the keys the service sets, and the
    scheduler made from the checkpoint's config. Without a name, the checkpoint's own scheduler (the model's
    default)."""
    name = request.get("scheduler")
    if name is None:
        scheduler_class, overrides = type(checkpoint_scheduler), {}
    else:
        scheduler_class, overrides = SCHEDULERS[name]
    return scheduler_class, overrides, scheduler_class.from_config(checkpoint_scheduler.config, **overrides)


def request_generators(request):
    """The service seeds image i with seed + i: diffusers does the same given one generator per image."""
    return [torch.Generator("cpu").manual_seed(request["seed"] + i) for i in range(request["num_images"])]


def reference(pipe, img2img, checkpoint_scheduler, default_guidance, spec, ref_dir):
    """Runs one case through diffusers' own pipeline; returns the case as cases.json records it. Without a
    scheduler in the request, the checkpoint's own scheduler (the model's default) runs."""
    request = spec["request"]
    scheduler_class, overrides, scheduler = request_scheduler(request, checkpoint_scheduler)
    n = request["num_images"]
    generators = request_generators(request)
    guidance = request.get("guidance_scale", default_guidance)
    call = {"prompt": request["prompt"], "num_inference_steps": request["steps"], "guidance_scale": guidance,
            "num_images_per_prompt": n, "eta": request.get("eta", 0.0),
            "guidance_rescale": request.get("guidance_rescale", 0.0)}
    # the service's empty negative prompt is diffusers' default (None): SDXL then zeroes the negative embeddings
    call["negative_prompt"] = request["negative_prompt"] or None
    runner = pipe
    if spec["init_image"]:
        runner = img2img
        call["image"] = Image.open(os.path.join(ref_dir, spec["init_image"])).convert("RGB")
        call["strength"] = request["strength"]
    else:
        call["width"] = request["width"]
        call["height"] = request["height"]
    runner.scheduler = scheduler
    start = time.perf_counter()
    images = runner(**call, generator=generators[0] if n == 1 else generators, output_type="np").images
    seconds = time.perf_counter() - start
    files = []
    for i, image in enumerate(images):
        files.append(f"{spec['name']}_{i}.png")
        Image.fromarray((image * 255).round().astype("uint8")).save(os.path.join(ref_dir, files[-1]))
    recorded = {k: v for k, v in call.items() if k != "image"}
    if spec["init_image"]:
        recorded["image"] = spec["init_image"]
    recorded["generator"] = f"[torch.Generator('cpu').manual_seed({request['seed']} + i) for i in range({n})]"
    return {"name": spec["name"], "request": request, "init_image": spec["init_image"], "images": files,
            "diffusers": {"pipeline": type(runner).__name__, "scheduler": scheduler_class.__name__,
                          "scheduler_kwargs": overrides, "call": recorded, "seconds": round(seconds, 3)}}


def versions():
    return {"diffusers": diffusers.__version__, "transformers": transformers.__version__,
            "torch": torch.__version__, "numpy": numpy.__version__, "pillow": PIL.__version__,
            "python": platform.python_version(),
            "ftfy": "not installed (transformers' CLIPTokenizer cleans text with its BasicTokenizer)"}


FIXTURES = {
    "sd15": ("tiny-sd15", "SD 1.x architecture (CLIPTextModel, UNet2DConditionModel, AutoencoderKL), random weights;"
             " scheduler file of runwayml/stable-diffusion-v1-5"),
    "sd2": ("tiny-sd2", "SD 2.x architecture (OpenCLIP-style text encoder padded with '!', linear projections,"
            " v-prediction), random weights; scheduler file of stabilityai/stable-diffusion-2-1 with trailing"
            " timesteps"),
    "sdxl": ("tiny-sdxl", "SDXL architecture (two text encoders, pooled projection and size/crop time ids as added"
             " conditions), random weights; scheduler file of stabilityai/stable-diffusion-xl-base-1.0"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the test resources' parity folder")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "parity-work"),
                        help="scratch folder for the diffusers pipelines")
    parser.add_argument("--only", default=",".join(FIXTURES), help="comma-separated fixtures: sd15,sd2,sdxl")
    parser.add_argument("--tokenizer-json", default=os.path.join(TRAINING, "clip", "tokenizer.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    work = args.work
    vocab, merges = tokenizer_files(args.tokenizer_json, os.path.join(work, "clip-slow-tokenizer"))

    for key in args.only.split(","):
        model_name, description = FIXTURES[key]
        pipeline_dir = os.path.join(work, model_name)
        shutil.rmtree(pipeline_dir, ignore_errors=True)
        if key == "sdxl":
            build_sdxl(pipeline_dir, vocab, merges)
            pipe = StableDiffusionXLPipeline.from_pretrained(pipeline_dir, add_watermarker=False)
            img2img = StableDiffusionXLImg2ImgPipeline.from_pretrained(pipeline_dir, add_watermarker=False)
            default_guidance = 5.0
        else:
            build_sd(pipeline_dir, vocab, merges, v2=key == "sd2")
            pipe = StableDiffusionPipeline.from_pretrained(pipeline_dir, safety_checker=None,
                                                           requires_safety_checker=False)
            img2img = StableDiffusionImg2ImgPipeline.from_pretrained(pipeline_dir, safety_checker=None,
                                                                     requires_safety_checker=False)
            default_guidance = 7.5
        for p in (pipe, img2img):
            p.set_progress_bar_config(disable=True)

        model_dir = os.path.join(args.out, "models", model_name)
        shutil.rmtree(model_dir, ignore_errors=True)
        export_diffusers.export(export_diffusers.load_pipeline(pipeline_dir), model_dir, model_name,
                                default_steps=20, default_guidance_scale=default_guidance,
                                check_batch_sizes=(1, 2, 3), check_latent_sizes=[16, 24],
                                description=description + "; for DiffusersParityTest only")
        link_tokenizers(model_dir)

        ref_dir = os.path.join(args.out, "references", model_name)
        shutil.rmtree(ref_dir, ignore_errors=True)
        os.makedirs(ref_dir)
        for width, height in ((64, 64), (96, 64)):
            init_picture(width, height).save(os.path.join(ref_dir, f"init_{width}x{height}.png"))
        checkpoint_scheduler = pipe.scheduler
        done = []
        for spec in cases():
            done.append(reference(pipe, img2img, checkpoint_scheduler, default_guidance, spec, ref_dir))
            print(f"{model_name} {spec['name']}: {done[-1]['diffusers']['seconds']} s", flush=True)
        with open(os.path.join(ref_dir, "cases.json"), "w") as f:
            json.dump({"model": model_name, "description": description,
                       "made_by": "src/training/parity/build_fixtures.py", "versions": versions(),
                       "scheduler_config_as_loaded": dict(checkpoint_scheduler.config),
                       "cases": done}, f, indent=1, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
