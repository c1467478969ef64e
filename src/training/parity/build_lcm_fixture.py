"""Builds the LCM parity fixture (tiny-sd15-lcm, DiffusersParityTest): a tiny SD 1.x pipeline whose UNet is
guidance-distilled (time_cond_proj_dim: it takes the embedding of the guidance scale as timestep_cond), made of
diffusers' and transformers' own classes with random weights from fixed seeds, exported with export_diffusers.py,
and the images diffusers' own pipelines make from it on the CPU: LatentConsistencyModelPipeline with LCMScheduler,
and StableDiffusionPipeline with TCDScheduler, its gamma given as the pipeline's eta as diffusers' TCD documentation
does (TCD has no pipeline of its own, and the LCM pipeline decodes the scheduler's second output, which TCD fills
with another sample). img2img runs StableDiffusionImg2ImgPipeline with either scheduler, as the service does (it
skips the first 1 - strength of the schedule); diffusers' LatentConsistencyModelImg2ImgPipeline instead spreads all
the steps over the first strength of LCM's original schedule, which the service does not do.

    make_fixtures.sh (next to this file) prepares the Python environment and runs this script; by hand:
    python3 build_lcm_fixture.py --out src/test/resources/parity [--work SCRATCH_DIR]

Writes OUT/models/tiny-sd15-lcm/ and OUT/references/tiny-sd15-lcm/ in the format of build_fixtures.py. Requests
that leave out steps, guidance_scale or scheduler get the model folder's defaults (the exported LCMScheduler, 4
steps, the LCM pipeline's guidance 8.5), and diffusers is called with those.
"""
import argparse
import json
import os
import shutil
import tempfile
import time

import torch
from PIL import Image

import build_fixtures
from build_fixtures import CUBE, FOX, NEGATIVE, SD15_SCHEDULER
from diffusers import (LatentConsistencyModelPipeline, LCMScheduler, StableDiffusionImg2ImgPipeline,
                       StableDiffusionPipeline, TCDScheduler)
from transformers import CLIPTextModel, CLIPTokenizer

import export_diffusers

MODEL = "tiny-sd15-lcm"
DESCRIPTION = ("SD 1.x architecture (CLIPTextModel, AutoencoderKL) with a guidance-distilled UNet2DConditionModel"
               " (time_cond_proj_dim 16), random weights; scheduler: LCMScheduler from the scheduler file of"
               " runwayml/stable-diffusion-v1-5")
# LCMScheduler.from_config of SD 1.5's scheduler file, as an LCM distilled from SD 1.5 starts (LCMScheduler's own
# defaults for original_inference_steps and timestep_scaling)
LCM_SCHEDULER = {**SD15_SCHEDULER, "_class_name": "LCMScheduler"}
TIME_COND_PROJ_DIM = 16
# the exported defaults: diffusers' LatentConsistencyModelPipeline's
DEFAULT_STEPS = 4
DEFAULT_GUIDANCE = 8.5


def build(pipeline_dir, vocab, merges):
    build_fixtures.fixed_seed(0)
    encoder = CLIPTextModel(build_fixtures.text_config(8, "quick_gelu"))
    tokenizer = CLIPTokenizer(vocab, merges, model_max_length=77)
    unet = build_fixtures.tiny_unet(8, attention_head_dim=2, time_cond_proj_dim=TIME_COND_PROJ_DIM)
    ids = tokenizer([FOX], padding="max_length", max_length=77, return_tensors="pt").input_ids
    build_fixtures.sensitize(unet, encoder(ids)[0])
    with torch.no_grad():  # so that the guidance scale matters as much as the timestep does
        unet.time_embedding.cond_proj.weight.mul_(4)
    pipe = LatentConsistencyModelPipeline(vae=build_fixtures.tiny_vae(0.18215), text_encoder=encoder,
                                          tokenizer=tokenizer, unet=unet,
                                          scheduler=LCMScheduler.from_config(LCM_SCHEDULER), safety_checker=None,
                                          feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(pipeline_dir)
    build_fixtures.write_scheduler_file(pipeline_dir, LCM_SCHEDULER)


def case(name, prompt, seed, steps=None, guidance=None, scheduler=None, eta=None, width=64, height=64,
         num_images=1, negative="", init=None, strength=None):
    """A case: its name, the body of the service request (steps, guidance_scale and scheduler only when given), and
    its img2img input picture (or None)."""
    request = {"prompt": prompt, "negative_prompt": negative, "seed": seed, "width": width, "height": height,
               "num_images": num_images}
    for key, value in (("steps", steps), ("guidance_scale", guidance), ("scheduler", scheduler), ("eta", eta),
                       ("strength", strength)):
        if value is not None:
            request[key] = value
    return {"name": name, "request": request, "init_image": init}


def cases():
    """LCM at 2 to 8 steps and several guidance scales (1 and below: w <= 0), the model's defaults, a negative prompt
    (no unconditional pass, so it changes nothing), another size, several images, img2img; TCD with gammas 0, 0.3,
    0.5 and 0.7, img2img."""
    return [
        case("defaults_fox", FOX, seed=21),
        case("lcm_2_cube_guidance_1", CUBE, seed=22, steps=2, guidance=1.0, scheduler="lcm"),
        case("lcm_3_fox_guidance_3", FOX, seed=23, steps=3, guidance=3.0, scheduler="lcm"),
        case("lcm_4_cube_guidance_0", CUBE, seed=24, steps=4, guidance=0.0, scheduler="lcm"),
        case("lcm_6_fox_guidance_5_negative", FOX, seed=25, steps=6, guidance=5.0, scheduler="lcm",
             negative=NEGATIVE),
        case("lcm_8_cube_guidance_12", CUBE, seed=26, steps=8, guidance=12.0, scheduler="lcm"),
        case("lcm_4_fox_96x64", FOX, seed=27, steps=4, scheduler="lcm", width=96),
        case("lcm_4_cube_x3", CUBE, seed=28, steps=4, guidance=2.0, num_images=3),
        case("img2img_lcm_8_fox", FOX, seed=29, steps=8, guidance=4.0, init="init_64x64.png", strength=0.6),
        case("tcd_4_fox_gamma_0_3", FOX, seed=31, steps=4, guidance=3.0, scheduler="tcd", eta=0.3),
        case("tcd_6_cube_gamma_0_7", CUBE, seed=32, steps=6, guidance=6.0, scheduler="tcd", eta=0.7),
        case("tcd_2_fox_gamma_0", FOX, seed=33, steps=2, scheduler="tcd"),
        case("tcd_8_cube_gamma_0_3_x2", CUBE, seed=34, steps=8, guidance=1.5, scheduler="tcd", eta=0.3,
             num_images=2),
        case("img2img_tcd_6_cube_gamma_0_5", CUBE, seed=35, steps=6, guidance=3.0, scheduler="tcd", eta=0.5,
             init="init_64x64.png", strength=0.7),
    ]


def reference(pipes, checkpoint_scheduler, spec, ref_dir):
    """Runs one case through diffusers' own pipeline; returns the case as cases.json records it."""
    lcm, sd, img2img = pipes
    request = spec["request"]
    tcd = request.get("scheduler") == "tcd"
    scheduler_class = TCDScheduler if tcd else LCMScheduler
    scheduler = scheduler_class.from_config(checkpoint_scheduler.config)
    n = request["num_images"]
    # the service seeds image i with seed + i: diffusers does the same given one generator per image
    generators = [torch.Generator("cpu").manual_seed(request["seed"] + i) for i in range(n)]
    call = {"prompt": request["prompt"], "num_inference_steps": request.get("steps", DEFAULT_STEPS),
            "guidance_scale": request.get("guidance_scale", DEFAULT_GUIDANCE), "num_images_per_prompt": n}
    # LCM's pipeline takes no negative prompt (a guidance-distilled UNet makes no unconditional pass); the others
    # take it and leave it unused, as the service does
    runner = sd if tcd else lcm
    if tcd or spec["init_image"]:
        call["negative_prompt"] = request["negative_prompt"] or None
    if tcd:
        call["eta"] = request.get("eta", 0.0)  # the pipelines' eta reaches TCDScheduler.step as its gamma
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
                          "scheduler_kwargs": {}, "call": recorded, "seconds": round(seconds, 3)}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the test resources' parity folder")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "parity-work"),
                        help="scratch folder for the diffusers pipeline")
    parser.add_argument("--tokenizer-json", default=os.path.join(build_fixtures.TRAINING, "clip", "tokenizer.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    vocab, merges = build_fixtures.tokenizer_files(args.tokenizer_json, os.path.join(args.work, "clip-slow-tokenizer"))

    pipeline_dir = os.path.join(args.work, MODEL)
    shutil.rmtree(pipeline_dir, ignore_errors=True)
    build(pipeline_dir, vocab, merges)
    lcm = LatentConsistencyModelPipeline.from_pretrained(pipeline_dir, safety_checker=None,
                                                         requires_safety_checker=False)
    sd = StableDiffusionPipeline.from_pretrained(pipeline_dir, safety_checker=None, requires_safety_checker=False)
    img2img = StableDiffusionImg2ImgPipeline.from_pretrained(pipeline_dir, safety_checker=None,
                                                             requires_safety_checker=False)
    for p in (lcm, sd, img2img):
        p.set_progress_bar_config(disable=True)

    model_dir = os.path.join(args.out, "models", MODEL)
    shutil.rmtree(model_dir, ignore_errors=True)
    export_diffusers.export(export_diffusers.load_pipeline(pipeline_dir), model_dir, MODEL,
                            default_steps=DEFAULT_STEPS, default_guidance_scale=DEFAULT_GUIDANCE,
                            check_batch_sizes=(1, 2, 3), check_latent_sizes=[16, 24],
                            description=DESCRIPTION + "; for DiffusersParityTest only")
    build_fixtures.link_tokenizers(model_dir)

    ref_dir = os.path.join(args.out, "references", MODEL)
    shutil.rmtree(ref_dir, ignore_errors=True)
    os.makedirs(ref_dir)
    build_fixtures.init_picture(64, 64).save(os.path.join(ref_dir, "init_64x64.png"))
    checkpoint_scheduler = lcm.scheduler
    done = []
    for spec in cases():
        done.append(reference((lcm, sd, img2img), checkpoint_scheduler, spec, ref_dir))
        print(f"{MODEL} {spec['name']}: {done[-1]['diffusers']['seconds']} s", flush=True)
    with open(os.path.join(ref_dir, "cases.json"), "w") as f:
        json.dump({"model": MODEL, "description": DESCRIPTION, "made_by": "src/training/parity/build_lcm_fixture.py",
                   "versions": build_fixtures.versions(),
                   "scheduler_config_as_loaded": dict(checkpoint_scheduler.config), "cases": done},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
