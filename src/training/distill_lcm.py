"""Latent consistency distillation of a model folder: a student that makes its images in 2-8 steps.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 src/training/distill_lcm.py --teacher src/main/models/shapes \
        --out src/main/models/shapes-lcm

Luo et al. 2023, "Latent Consistency Models" (Algorithm 1, latent consistency distillation), as diffusers'
examples/consistency_distillation/train_lcm_distill_sd_wds.py does it:
- teacher: the folder's UNet, frozen, with classifier-free guidance at a scale w drawn per sample from
  [--w-min, --w-max] (the LCM paper's w: eps_c + w (eps_c - eps_u), i.e. a pipeline's guidance_scale - 1);
- student: the same UNet plus a guidance-scale embedding of w (timestep_cond) added to its timestep embedding,
  started from the teacher's weights with that projection at zero, so the guidance is folded into one pass;
- from x at t_{n+k} (one of the --ddim-steps distillation timesteps k - 1, 2k - 1, ..., T - 1), one DDIM step of the
  guided teacher gives x at t_n = t_{n+k} - k; the loss pulls the student's boundary-conditioned estimate
  c_skip x + c_out x0 at t_{n+k} toward that of an EMA target network at t_n (c_skip(0) = 1, c_out(0) = 0 anchor
  the chain at the data), with a pseudo-Huber (or L2) distance;
- the text encoder and VAE are the teacher's, unchanged; the latents are freshly rendered scenes encoded once.

The exported folder is the teacher's with the target network as its UNet, taking (sample, timestep, context,
timestep_cond); its model_index.json says so (unet_extra_inputs, time_cond_proj_dim) and defaults to the lcm
scheduler, whose config (LCMScheduler, original_inference_steps = --ddim-steps, timestep_scaling) matches the
distillation. Then a guidance sweep at 4 steps picks the default guidance scale, and the adherence figures at
2, 4 and 8 steps are printed, measured on the exported TorchScript files. Fixed seeds. RECIPE.md has the runs.
"""
import os

# Before torch loads libgomp: see train.py.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

import argparse
import copy
import json
import time

import numpy as np
import torch

import evaluate
import model_folder
import sampling
import shapes_data
from clip_tokenizer import ClipTokenizer
from models import TextEncoder, UNet, VaeDecoder, VaeEncoder, VaeEncoderMean, count_parameters, \
    guidance_scale_embedding
from train import CaptionIds, cosine_lr, encode_pool, log, save_grid


def load_teacher(args):
    """The teacher folder's networks as the modules they were exported from (checked against the files)."""
    with open(os.path.join(args.teacher, "model_index.json")) as f:
        index = json.load(f)
    scripted = {name: torch.jit.load(os.path.join(args.teacher, name, "model.pt"))
                for name in ("text_encoder", "unet", "vae_decoder", "vae_encoder")}
    text_encoder = TextEncoder(ClipTokenizer().grammar_clip_ids(shapes_data.grammar_words()),
                               dim=index["text_hidden_size"], layers=args.text_layers, heads=4)
    unet = UNet(context_dim=index["text_hidden_size"], channels=args.unet_channels, attention=args.unet_attention,
                blocks_per_level=args.unet_blocks, heads=4, pooled_text=True, scale_shift=True)
    decoder = VaeDecoder(args.vae_channels)
    encoder = VaeEncoderMean(VaeEncoder(args.vae_channels))
    modules = {"text_encoder": text_encoder, "unet": unet, "vae_decoder": decoder, "vae_encoder": encoder}
    for name, module in modules.items():
        module.load_state_dict(scripted[name].state_dict())
        module.eval().requires_grad_(False)
    size = index["sample_size"] // index["vae_scale_factor"]
    ids = torch.tensor([ClipTokenizer().input_ids("a red circle on a blue background")])
    with torch.no_grad():
        context = text_encoder(ids)
        x = torch.randn(1, index["latent_channels"], size, size)
        t = torch.tensor([500.0])
        if not torch.allclose(unet(x, t, context), scripted["unet"](x, t, scripted["text_encoder"](ids)), atol=1e-5):
            raise SystemExit(f"{args.teacher}: its UNet is not the architecture given by --unet-* (see train.py)")
    return index, modules


class Contexts:
    """The frozen text encoder's output per caption, computed once (there are a few hundred captions)."""

    def __init__(self, text_encoder):
        self.text_encoder = text_encoder
        self.ids = CaptionIds()
        self.cache = {}

    def __call__(self, captions):
        missing = sorted({c for c in captions if c not in self.cache})
        if missing:
            with torch.no_grad():
                for caption, context in zip(missing, self.text_encoder(self.ids(missing))):
                    self.cache[caption] = context
        return torch.stack([self.cache[c] for c in captions])


def predicted_x0(eps, x, alpha_prod):
    return (x - (1 - alpha_prod).sqrt() * eps) / alpha_prod.sqrt()


def distance(a, b, kind, huber_c):
    if kind == "huber":
        return (((a - b) ** 2 + huber_c ** 2).sqrt() - huber_c).mean()
    return ((a - b) ** 2).mean()


def distill(args, index, teacher, latents, attrs, rng, start):
    embedding_dim = args.time_cond_proj_dim
    student = UNet(context_dim=index["text_hidden_size"], channels=args.unet_channels,
                   attention=args.unet_attention, blocks_per_level=args.unet_blocks, heads=4, pooled_text=True,
                   scale_shift=True, time_cond_dim=embedding_dim)
    missing, unexpected = student.load_state_dict(teacher["unet"].state_dict(), strict=False)
    assert missing == ["cond_proj.weight"] and not unexpected, (missing, unexpected)
    target = copy.deepcopy(student).requires_grad_(False)
    log(start, f"student UNet {count_parameters(student)} parameters ({embedding_dim}-wide guidance embedding)")
    # the guidance projection starts at zero: --cond-proj-lr-scale lets it learn faster than the copied weights
    # (one parameter group when it does not, so that checkpoints of earlier runs still resume)
    if args.cond_proj_lr_scale == 1.0:
        groups = [{"params": list(student.parameters()), "lr_scale": 1.0}]
    else:
        groups = [{"params": [p for name, p in student.named_parameters() if name != "cond_proj.weight"],
                   "lr_scale": 1.0},
                  {"params": [student.cond_proj.weight], "lr_scale": args.cond_proj_lr_scale}]
    optimizer = torch.optim.AdamW(groups, lr=args.lr, weight_decay=0.0)
    first_step = 0
    if args.resume:
        # a run cut short goes on where its last checkpoint left it, with the same random streams
        saved = torch.load(args.resume)
        student.load_state_dict(saved["student"])
        target.load_state_dict(saved["target"])
        optimizer.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        rng.bit_generator.state = saved["numpy_rng"]
        first_step = saved["step"]
        log(start, f"resumed from {args.resume} at step {first_step}")
    alphas_cumprod = torch.tensor(sampling.ALPHAS_CUMPROD, dtype=torch.float32)
    skip = sampling.NUM_TRAIN_TIMESTEPS // args.ddim_steps
    ddim_timesteps = torch.arange(1, args.ddim_steps + 1) * skip - 1  # LCMScheduler's distillation timesteps
    contexts = Contexts(teacher["text_encoder"])
    uncond = contexts([""])
    running = None
    step_seconds = []
    step_cpu_seconds = []  # both threads' CPU time: about twice a step's time on an idle 2-core machine
    for step in range(first_step, args.steps):
        began = time.time()
        began_cpu = time.process_time()
        lr = cosine_lr(step, args.steps, args.lr, args.warmup)
        for group in optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)  # a resumed optimizer may not carry it
        picked = torch.from_numpy(rng.integers(0, len(latents), args.batch))
        x0 = latents[picked]
        captions = [shapes_data.caption(rng, attrs["color"][i], attrs["bg"][i], attrs["shape"][i], attrs["size"][i],
                                        template_weights=args.template_weights)
                    for i in picked.tolist()]
        context = contexts(captions)
        start_t = ddim_timesteps[torch.from_numpy(rng.integers(0, args.ddim_steps, args.batch))]
        prev_t = (start_t - skip).clamp(min=0)
        a_start = alphas_cumprod[start_t][:, None, None, None]
        a_prev = alphas_cumprod[prev_t][:, None, None, None]
        noisy = a_start.sqrt() * x0 + (1 - a_start).sqrt() * torch.randn_like(x0)
        w = torch.from_numpy(rng.uniform(args.w_min, args.w_max, args.batch)).float()
        w_embedding = guidance_scale_embedding(w, embedding_dim)
        w = w[:, None, None, None]

        c_skip, c_out = sampling.consistency_scalings(start_t.float(), args.timestep_scaling)
        eps = student(noisy, start_t.float(), context, w_embedding)
        estimate = c_skip[:, None, None, None] * noisy + c_out[:, None, None, None] * predicted_x0(eps, noisy, a_start)

        with torch.no_grad():
            # the guided teacher's DDIM step from t_{n+k} to t_n
            eps_uncond, eps_cond = teacher["unet"](
                torch.cat([noisy, noisy]), torch.cat([start_t, start_t]).float(),
                torch.cat([uncond.expand(args.batch, -1, -1), context])).chunk(2)
            x0_cond = predicted_x0(eps_cond, noisy, a_start)
            x0_uncond = predicted_x0(eps_uncond, noisy, a_start)
            x0_guided = x0_cond + w * (x0_cond - x0_uncond)
            eps_guided = eps_cond + w * (eps_cond - eps_uncond)
            x_prev = a_prev.sqrt() * x0_guided + (1 - a_prev).sqrt() * eps_guided
            # the target network's estimate at t_n
            target_eps = target(x_prev, prev_t.float(), context, w_embedding)
            c_skip_prev, c_out_prev = sampling.consistency_scalings(prev_t.float(), args.timestep_scaling)
            goal = c_skip_prev[:, None, None, None] * x_prev \
                + c_out_prev[:, None, None, None] * predicted_x0(target_eps, x_prev, a_prev)

        loss = distance(estimate, goal, args.loss, args.huber_c)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        optimizer.step()
        with torch.no_grad():
            for t_param, s_param in zip(target.parameters(), student.parameters()):
                t_param.mul_(args.ema_decay).add_(s_param, alpha=1 - args.ema_decay)
        step_seconds.append(time.time() - began)
        step_cpu_seconds.append(time.process_time() - began_cpu)
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % args.log_every == 0 or step == args.steps - 1:
            log(start, f"LCD step {step}: loss {running:.5f} lr {optimizer.param_groups[0]['lr']:.2e} "
                       f"{np.mean(step_seconds[-args.log_every:]):.2f} s/step "
                       f"({np.mean(step_cpu_seconds[-args.log_every:]):.2f} CPU s)")
        if args.checkpoint and args.checkpoint_every and (step + 1) % args.checkpoint_every == 0:
            save_checkpoint(args, student, target, optimizer, rng, step + 1)
    log(start, f"{args.steps} steps, {np.mean(step_seconds):.2f} s/step on average (median "
               f"{np.median(step_seconds):.2f}), {np.mean(step_cpu_seconds):.2f} CPU s/step")
    if args.checkpoint:
        save_checkpoint(args, student, target, optimizer, rng, args.steps)
    return target.eval()


def save_checkpoint(args, student, target, optimizer, rng, step):
    state = {"student": student.state_dict(), "target": target.state_dict(), "optimizer": optimizer.state_dict(),
             "torch_rng": torch.get_rng_state(), "numpy_rng": rng.bit_generator.state, "step": step,
             "args": vars(args)}
    torch.save(state, args.checkpoint + ".tmp")
    os.replace(args.checkpoint + ".tmp", args.checkpoint)  # a run killed while saving keeps the last checkpoint


def export_and_measure(args, index, teacher, unet, start):
    """Writes the student's folder, picks its guidance scale by measurement at 4 steps, prints the figures."""
    embedding_dim = args.time_cond_proj_dim
    scheduler_config = dict(model_folder.LCM_SCHEDULER_CONFIG, original_inference_steps=args.ddim_steps,
                            timestep_scaling=args.timestep_scaling)
    student_index = model_folder.model_index(
        name=args.name, sample_size=index["sample_size"], vae_scale_factor=index["vae_scale_factor"],
        latent_channels=index["latent_channels"], scaling_factor=index["scaling_factor"],
        text_hidden_size=index["text_hidden_size"], default_steps=4, default_guidance_scale=args.guidance_sweep[0],
        default_scheduler="lcm", unet_extra_inputs=[model_folder.TIMESTEP_COND], time_cond_proj_dim=embedding_dim,
        description=f"{index['name']} distilled for 2-8 steps (latent consistency distillation, its guidance "
                    "folded in); trained by src/training/distill_lcm.py")
    export = dict(text_encoder=teacher["text_encoder"], unet=unet, vae_decoder=teacher["vae_decoder"],
                  vae_encoder=teacher["vae_encoder"],
                  tokenizer_json=os.path.join(args.teacher, "tokenizer", "tokenizer.json"),
                  scheduler_config=scheduler_config, check_latent_sizes=[16, 24], unet_extra_sizes=[embedding_dim])
    model_folder.write_model_folder(args.out, index=student_index, **export)
    log(start, f"exported to {args.out}")

    models, _ = evaluate.load_model_folder(args.out)
    best = None
    for guidance in args.guidance_sweep:
        result, _, _ = evaluate.evaluate(models, args.eval_n, "lcm", 4, guidance)
        score = min(v for v, _ in result.values())
        log(start, f"lcm 4 steps, guidance {guidance}: {evaluate.format_result(result)}")
        if best is None or score > best[0]:
            best = (score, guidance)
    student_index["default_guidance_scale"] = best[1]
    model_folder.write_model_folder(args.out, index=student_index, **export)
    log(start, f"default guidance scale {best[1]} (best worst-attribute score at 4 steps)")
    for steps in (2, 4, 8):
        result, images, prompts = evaluate.evaluate(models, args.eval_n, "lcm", steps, best[1])
        log(start, f"lcm {steps} steps, guidance {best[1]}: {evaluate.format_result(result)}")
        if steps == 4:
            save_grid(images[:24], prompts[:24], os.path.join(args.out, "samples.png"))
    log(start, "done")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", required=True, help="the model folder to distil (trained by train.py)")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--name", default="shapes-lcm")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help="also save the student and target weights to this file")
    parser.add_argument("--checkpoint-every", type=int, default=0, help="and every this many steps")
    parser.add_argument("--resume", help="go on training from this checkpoint (written by --checkpoint)")
    parser.add_argument("--from-checkpoint", help="skip training: export and measure the target of this file")
    # the teacher's architecture (train.py's defaults)
    parser.add_argument("--vae-channels", type=int, nargs=3, default=[16, 32, 64])
    parser.add_argument("--text-layers", type=int, default=2)
    parser.add_argument("--unet-channels", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--unet-attention", type=int, nargs="+", default=[0, 1, 1])
    parser.add_argument("--unet-blocks", type=int, default=1)
    # the distillation
    parser.add_argument("--pool", type=int, default=10000, help="rendered scenes encoded once")
    parser.add_argument("--time-cond-proj-dim", type=int, default=256, help="width of the guidance embedding")
    parser.add_argument("--ddim-steps", type=int, default=sampling.LCM_ORIGINAL_STEPS,
                        help="distillation timesteps (the scheduler's original_inference_steps)")
    parser.add_argument("--timestep-scaling", type=float, default=sampling.LCM_TIMESTEP_SCALING)
    parser.add_argument("--w-min", type=float, default=0.5, help="least teacher guidance w (= guidance_scale - 1)")
    parser.add_argument("--w-max", type=float, default=3.5)
    parser.add_argument("--loss", choices=["huber", "l2"], default="huber")
    parser.add_argument("--huber-c", type=float, default=0.001)
    parser.add_argument("--template-weights", type=float, nargs=3, default=list(shapes_data.TEMPLATE_WEIGHTS),
                        help="shares of the caption templates: with size and background, with background, neither")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--cond-proj-lr-scale", type=float, default=1.0,
                        help="the guidance embedding's projection learns at this multiple of --lr")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--ema-decay", type=float, default=0.95, help="of the target network")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--eval-n", type=int, default=200)
    parser.add_argument("--guidance-sweep", type=float, nargs="+", default=[2.0, 2.5, 3.0, 3.5],
                        help="guidance scales (w + 1) tried at 4 steps; the best becomes the default")
    args = parser.parse_args()
    args.unet_attention = [bool(a) for a in args.unet_attention]
    return args


def main():
    args = parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    index, teacher = load_teacher(args)
    if args.from_checkpoint:
        unet = UNet(context_dim=index["text_hidden_size"], channels=args.unet_channels,
                    attention=args.unet_attention, blocks_per_level=args.unet_blocks, heads=4, pooled_text=True,
                    scale_shift=True, time_cond_dim=args.time_cond_proj_dim)
        unet.load_state_dict(torch.load(args.from_checkpoint)["target"])
        export_and_measure(args, index, teacher, unet.eval(), start)
        return
    latents, attrs = encode_pool(teacher["vae_encoder"].encoder, rng, args.pool)
    log(start, f"latent pool {tuple(latents.shape)}, scaling_factor {index['scaling_factor']}")
    unet = distill(args, index, teacher, latents * index["scaling_factor"], attrs, rng, start)
    export_and_measure(args, index, teacher, unet, start)


if __name__ == "__main__":
    main()
