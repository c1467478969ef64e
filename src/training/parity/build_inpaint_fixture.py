"""Builds the inpainting parity fixtures (DiffusersParityTest): the images diffusers' own
StableDiffusionInpaintPipeline makes on the CPU from the ordinary tiny SD 1.x checkpoint of build_fixtures.py
(tiny-sd15, rebuilt here the same way and checked against the exported folder) and from a tiny SD 1.x inpainting
checkpoint (tiny-sd15-inpaint: the same architecture with a 9-channel UNet2DConditionModel, which takes the latents,
the mask and the masked image's latents), made of diffusers' and transformers' own classes with random weights from
fixed seeds and exported with export_diffusers.py.

    make_fixtures.sh (next to this file) prepares the Python environment and runs this script after
    build_fixtures.py (whose tiny-sd15 folder it needs); by hand:
    python3 build_inpaint_fixture.py --out src/test/resources/parity [--work SCRATCH_DIR]

Writes OUT/models/tiny-sd15-inpaint/ and OUT/references/inpainting/: the init picture, the masks, cases.json and
the reference PNGs. Each case holds the model it runs on ("model"), the body of the service request ("request",
without init_image and mask), the file names of its init picture ("init_image") and mask ("mask"), what diffusers
was called with ("diffusers") and the reference images. The masks are the model's size, as the init picture, so
nothing is resized. A reference is what the service returns: diffusers' image, (x * 255).round() of its float output,
composited over the init picture with diffusers' own pipe.image_processor.apply_overlay(mask, init_image, image),
where the mask is the one diffusers was given (pipe.mask_processor.blur(mask, blur_factor=mask_blur) when the
request blurs it; the service's default mask_blur is 4).
"""
import argparse
import filecmp
import json
import os
import shutil
import tempfile
import time

import torch
from PIL import Image, ImageDraw

import build_fixtures
from build_fixtures import CUBE, FOX, NEGATIVE
from diffusers import StableDiffusionInpaintPipeline

import export_diffusers

ORDINARY = "tiny-sd15"
INPAINT = "tiny-sd15-inpaint"
INPAINT_DESCRIPTION = ("SD 1.x inpainting architecture (CLIPTextModel, AutoencoderKL, UNet2DConditionModel with"
                       " in_channels 9: latents, mask, masked image latents), random weights; scheduler file of"
                       " runwayml/stable-diffusion-v1-5")
REFERENCES = "inpainting"
SIZE = 64  # both models' sample size: the init picture and the masks are not resized
DEFAULT_GUIDANCE = 7.5
DEFAULT_STRENGTH = 1.0  # diffusers' inpainting default, and the service's when a mask is given
SERVICE_MASK_BLUR = 4  # the service's default mask_blur (AUTOMATIC1111's)
# what diffusers' inpainting pipeline (unlike its img2img pipeline) does with one generator per image
SEVERAL_GENERATORS = ("the pipeline encodes the one init image and the one masked image with generator[0] alone"
                      " (_encode_vae_image loops over the images given, not the images made) and repeats their"
                      " latents for every image; each image's own generator draws its noise and its scheduler's")
INIT = "init_64x64.png"
ELLIPSE = "mask_ellipse_64x64.png"
GREY = "mask_grey_64x64.png"


def ellipse_mask(size):
    """White (repaint) over part of each shape of the init picture and of its background, black elsewhere."""
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((size // 4, size // 8, size - size // 8, size * 5 // 8), fill=255)
    return mask


def grey_mask(size):
    """Grey levels: a band at 96 (kept in the latents, as diffusers binarises at 0.5, but partly repainted by the
    overlay) beside one at 160 (repainted), a ramp over every level from 0 to 255, and a white ellipse."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    third = size // 3
    draw.rectangle((0, 0, size // 2 - 1, third - 1), fill=96)
    draw.rectangle((size // 2, 0, size - 1, third - 1), fill=160)
    for x in range(size):
        draw.line((x, third, x, 2 * third - 1), fill=round(x * 255 / (size - 1)))
    draw.ellipse((size // 8, 2 * third + 2, size - size // 8, size - 2), fill=255)
    return mask


def case(name, prompt, mask, seed, mask_blur=0, **kw):
    """A case in build_fixtures.case's format with the mask's file name; mask_blur None leaves the service's default
    (SERVICE_MASK_BLUR) to the request."""
    spec = build_fixtures.case(name, prompt, seed=seed, width=SIZE, height=SIZE, init=INIT, **kw)
    if mask_blur is not None:
        spec["request"]["mask_blur"] = mask_blur
    spec["mask"] = mask
    return spec


def cases():
    """Several schedulers (the deterministic and the ancestral ones), strength 1 and 0.6, the model's defaults
    (PNDM, strength 1, mask blur 4), guidance off, a negative prompt, a blurred grey mask, and two images per
    request (one generator per image)."""
    return [
        case("defaults_cube_ellipse", CUBE, ELLIPSE, seed=51, mask_blur=None),
        case("ddim_fox_ellipse", FOX, ELLIPSE, seed=52, scheduler="ddim", strength=1.0),
        case("euler_ancestral_fox_grey", FOX, GREY, seed=53, scheduler="euler_ancestral", strength=1.0),
        case("dpmpp_2m_cube_ellipse_strength_0_6_negative", CUBE, ELLIPSE, seed=54, scheduler="dpmpp_2m",
             strength=0.6, negative=NEGATIVE),
        case("lms_fox_grey_unguided", FOX, GREY, seed=55, scheduler="lms", strength=1.0, guidance=1.0),
        case("pndm_fox_ellipse_strength_0_6", FOX, ELLIPSE, seed=56, scheduler="pndm", strength=0.6),
        case("euler_ancestral_cube_ellipse_strength_0_6_x2", CUBE, ELLIPSE, seed=57, scheduler="euler_ancestral",
             strength=0.6, num_images=2),
        case("euler_cube_grey_blur_4_strength_0_6", CUBE, GREY, seed=58, scheduler="euler", strength=0.6,
             mask_blur=4),
        case("dpmpp_2m_sde_fox_grey", FOX, GREY, seed=59, scheduler="dpmpp_2m_sde", strength=1.0),
    ]


def reference(model, pipe, checkpoint_scheduler, spec, ref_dir):
    """Runs one case through diffusers' inpainting pipeline and overlays its images on the init picture as the
    service does; returns the case as cases.json records it."""
    request = spec["request"]
    scheduler_class, overrides, scheduler = build_fixtures.request_scheduler(request, checkpoint_scheduler)
    generators = build_fixtures.request_generators(request)
    n = request["num_images"]
    init = Image.open(os.path.join(ref_dir, spec["init_image"])).convert("RGB")
    mask = Image.open(os.path.join(ref_dir, spec["mask"])).convert("L")
    blur = request.get("mask_blur", SERVICE_MASK_BLUR)
    mask_recorded = spec["mask"]
    if blur > 0:
        mask = pipe.mask_processor.blur(mask, blur_factor=blur)
        mask_recorded = f"pipe.mask_processor.blur({spec['mask']}, blur_factor={blur})"
    call = {"prompt": request["prompt"], "image": init, "mask_image": mask, "height": request["height"],
            "width": request["width"], "strength": request.get("strength", DEFAULT_STRENGTH),
            "num_inference_steps": request["steps"],
            "guidance_scale": request.get("guidance_scale", DEFAULT_GUIDANCE),
            "negative_prompt": request["negative_prompt"] or None, "num_images_per_prompt": n}
    pipe.scheduler = scheduler
    start = time.perf_counter()
    images = pipe(**call, generator=generators[0] if n == 1 else generators, output_type="pil").images
    seconds = time.perf_counter() - start
    files = []
    for i, image in enumerate(images):
        files.append(f"{spec['name']}_{i}.png")
        pipe.image_processor.apply_overlay(mask, init, image).save(os.path.join(ref_dir, files[-1]))
    recorded = {**call, "image": spec["init_image"], "mask_image": mask_recorded,
                "generator": f"[torch.Generator('cpu').manual_seed({request['seed']} + i) for i in range({n})]"}
    record = {"pipeline": type(pipe).__name__, "scheduler": scheduler_class.__name__, "scheduler_kwargs": overrides,
              "call": recorded, "output": "pipe.image_processor.apply_overlay(mask_image, image, output image)",
              "seconds": round(seconds, 3)}
    if n > 1:
        record["note"] = SEVERAL_GENERATORS
    return {"name": spec["name"], "model": model, "request": request, "init_image": spec["init_image"],
            "mask": spec["mask"], "images": files, "diffusers": record}


def inpaint_pipeline(pipeline_dir):
    pipe = StableDiffusionInpaintPipeline.from_pretrained(pipeline_dir, safety_checker=None,
                                                          requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def export(pipeline_dir, model_dir, model, description):
    shutil.rmtree(model_dir, ignore_errors=True)
    export_diffusers.export(export_diffusers.load_pipeline(pipeline_dir), model_dir, model, default_steps=20,
                            default_guidance_scale=DEFAULT_GUIDANCE, check_batch_sizes=(1, 2, 3),
                            check_latent_sizes=[16, 24], description=description + "; for DiffusersParityTest only")
    build_fixtures.link_tokenizers(model_dir)


def check_same_folder(rebuilt, served):
    """The ordinary model's references must come from the very checkpoint the test serves."""
    if not os.path.isdir(served):
        raise SystemExit(f"{served} is missing: run build_fixtures.py with the same --out first")
    compared = filecmp.dircmp(rebuilt, served)
    pending = [compared]
    while pending:
        current = pending.pop()
        different = (current.left_only + current.right_only + current.funny_files
                     + filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)[1])
        if different:
            raise SystemExit(f"the rebuilt {ORDINARY} differs from {served} in {current.right}: {different}")
        pending += current.subdirs.values()


def scheduler_config(scheduler):
    """The config as diffusers loaded it, with its set of defaulted keys sorted so that rebuilds write the same."""
    config = dict(scheduler.config)
    if "_use_default_values" in config:
        config["_use_default_values"] = sorted(config["_use_default_values"])
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the test resources' parity folder")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "parity-work"),
                        help="scratch folder for the diffusers pipelines")
    parser.add_argument("--tokenizer-json", default=os.path.join(build_fixtures.TRAINING, "clip", "tokenizer.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    vocab, merges = build_fixtures.tokenizer_files(args.tokenizer_json, os.path.join(args.work, "clip-slow-tokenizer"))

    pipes = {}
    for model, unet_in_channels in ((ORDINARY, 4), (INPAINT, 9)):
        pipeline_dir = os.path.join(args.work, f"{model}-for-inpainting")
        shutil.rmtree(pipeline_dir, ignore_errors=True)
        build_fixtures.build_sd(pipeline_dir, vocab, merges, v2=False, unet_in_channels=unet_in_channels)
        pipes[model] = inpaint_pipeline(pipeline_dir)
        if model == ORDINARY:
            rebuilt = os.path.join(args.work, f"{model}-exported")
            export(pipeline_dir, rebuilt, model, build_fixtures.FIXTURES["sd15"][1])
            check_same_folder(rebuilt, os.path.join(args.out, "models", model))
        else:
            export(pipeline_dir, os.path.join(args.out, "models", model), model, INPAINT_DESCRIPTION)

    ref_dir = os.path.join(args.out, "references", REFERENCES)
    shutil.rmtree(ref_dir, ignore_errors=True)
    os.makedirs(ref_dir)
    build_fixtures.init_picture(SIZE, SIZE).save(os.path.join(ref_dir, INIT))
    ellipse_mask(SIZE).save(os.path.join(ref_dir, ELLIPSE))
    grey_mask(SIZE).save(os.path.join(ref_dir, GREY))
    checkpoint_schedulers = {model: pipe.scheduler for model, pipe in pipes.items()}
    done = []
    for model, pipe in pipes.items():
        for spec in cases():
            spec["name"] = f"{model}_{spec['name']}"
            done.append(reference(model, pipe, checkpoint_schedulers[model], spec, ref_dir))
            print(f"{spec['name']}: {done[-1]['diffusers']['seconds']} s", flush=True)
    with open(os.path.join(ref_dir, "cases.json"), "w") as f:
        json.dump({"models": {ORDINARY: build_fixtures.FIXTURES["sd15"][1], INPAINT: INPAINT_DESCRIPTION},
                   "made_by": "src/training/parity/build_inpaint_fixture.py", "versions": build_fixtures.versions(),
                   "scheduler_config_as_loaded": scheduler_config(checkpoint_schedulers[ORDINARY]), "cases": done},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
