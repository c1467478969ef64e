"""SD 1.5's noise schedule and three samplers (DDIM, DPM-Solver++ 2M, LCM) with classifier-free guidance.

Follows diffusers' DDIMScheduler (timestep_spacing "leading", steps_offset 1, set_alpha_to_one false),
DPMSolverMultistepScheduler (timestep_spacing "linspace" unless told otherwise, final sigma 0, first-order
last step) and LCMScheduler (original_inference_steps 50, timestep_scaling 10). A guidance-distilled UNet takes
the guidance scale as its embedding (timestep_cond) instead of the unconditional pass, with any sampler, as
diffusers' pipelines do for a UNet with time_cond_proj_dim. Every sampler takes the keyword arguments
timestep_cond (that embedding, or None) and generator (for the stochastic ones: LCM's noise between steps).
"""
import numpy as np
import torch

NUM_TRAIN_TIMESTEPS = 1000


def alphas_cumprod(beta_start=0.00085, beta_end=0.012, steps=NUM_TRAIN_TIMESTEPS):
    """scaled_linear betas -> cumulative products of alphas, float64 numpy [steps]."""
    betas = np.linspace(beta_start ** 0.5, beta_end ** 0.5, steps, dtype=np.float64) ** 2
    return np.cumprod(1.0 - betas)


ALPHAS_CUMPROD = alphas_cumprod()
# LCMScheduler's defaults, which the distillation (distill_lcm.py) trains for
LCM_ORIGINAL_STEPS = 50
LCM_TIMESTEP_SCALING = 10.0


def guided_eps(unet, x, t, context, uncond_context, guidance_scale, timestep_cond=None):
    """eps_u + w (eps_c - eps_u), one UNet call on the doubled batch (as SD pipelines do); for a guidance-distilled
    UNet (timestep_cond given, the guidance embedding [B,n]) its one conditional call."""
    b = x.shape[0]
    if timestep_cond is not None:
        return unet(x, torch.full((b,), float(t), device=x.device), context, timestep_cond)
    timesteps = torch.full((2 * b,), float(t), device=x.device)
    eps = unet(torch.cat([x, x]), timesteps, torch.cat([uncond_context, context]))
    eps_uncond, eps_cond = eps[:b], eps[b:]
    return eps_uncond + guidance_scale * (eps_cond - eps_uncond)


def ddim_sample(unet, noise, context, uncond_context, steps, guidance_scale, *, timestep_cond=None, generator=None):
    ratio = NUM_TRAIN_TIMESTEPS // steps
    timesteps = (np.arange(steps) * ratio)[::-1] + 1
    x = noise
    for t in timesteps:
        eps = guided_eps(unet, x, t, context, uncond_context, guidance_scale, timestep_cond)
        a_t = ALPHAS_CUMPROD[t]
        prev = t - ratio
        a_prev = ALPHAS_CUMPROD[prev] if prev >= 0 else ALPHAS_CUMPROD[0]
        x0 = (x - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5
        x = a_prev ** 0.5 * x0 + (1 - a_prev) ** 0.5 * eps
    return x


def dpmpp_2m_timesteps(steps, timestep_spacing="linspace", steps_offset=0):
    """DPMSolverMultistepScheduler.set_timesteps: steps + 1 points counting down, the last one dropped."""
    if timestep_spacing == "linspace":
        return np.linspace(0, NUM_TRAIN_TIMESTEPS - 1, steps + 1).round()[::-1][:-1].astype(np.int64)
    if timestep_spacing == "leading":
        ratio = NUM_TRAIN_TIMESTEPS // (steps + 1)
        return (np.arange(0, steps + 1) * ratio).round()[::-1][:-1].astype(np.int64) + steps_offset
    raise ValueError(f"unsupported timestep_spacing {timestep_spacing!r} (linspace or leading)")


def dpmpp_2m_sample(unet, noise, context, uncond_context, steps, guidance_scale, timestep_spacing="linspace",
                    steps_offset=0, *, timestep_cond=None, generator=None):
    timesteps = dpmpp_2m_timesteps(steps, timestep_spacing, steps_offset)
    all_sigmas = ((1 - ALPHAS_CUMPROD) / ALPHAS_CUMPROD) ** 0.5
    sigmas = np.append(np.interp(timesteps, np.arange(NUM_TRAIN_TIMESTEPS), all_sigmas), 0.0)
    alpha = 1 / np.sqrt(sigmas ** 2 + 1)  # alpha_t, sigma_t of the VP process at each step
    sigma = sigmas * alpha
    with np.errstate(divide="ignore"):
        lam = np.log(alpha) - np.log(sigma)
    x = noise
    previous_x0 = None
    for i, t in enumerate(timesteps):
        eps = guided_eps(unet, x, t, context, uncond_context, guidance_scale, timestep_cond)
        x0 = (x - sigma[i] * eps) / alpha[i]
        if i == len(timesteps) - 1:
            x = x0  # the last step goes to sigma 0: first order, x = x0
        else:
            h = lam[i + 1] - lam[i]
            d = x0
            if previous_x0 is not None:
                r = (lam[i] - lam[i - 1]) / h
                d = x0 + (x0 - previous_x0) / (2 * r)
            x = (sigma[i + 1] / sigma[i]) * x - alpha[i + 1] * np.expm1(-h) * d
        previous_x0 = x0
    return x


def lcm_timesteps(steps, original_steps=LCM_ORIGINAL_STEPS):
    """LCMScheduler.set_timesteps: of the distillation timesteps k-1, 2k-1, .., T-1 (k = T // original steps), steps
    of them evenly spaced by index from the top."""
    k = NUM_TRAIN_TIMESTEPS // original_steps
    descending = (np.arange(1, original_steps + 1) * k - 1)[::-1]
    return descending[np.floor(np.linspace(0, original_steps, steps, endpoint=False)).astype(np.int64)]


def consistency_scalings(t, timestep_scaling=LCM_TIMESTEP_SCALING, sigma_data=0.5):
    """c_skip, c_out of the consistency boundary condition at timestep t (numbers or tensors), as LCMScheduler and
    diffusers' LCM distillation scripts take them: c_skip(0) = 1, c_out(0) = 0."""
    scaled = t * timestep_scaling
    return sigma_data ** 2 / (scaled ** 2 + sigma_data ** 2), scaled / (scaled ** 2 + sigma_data ** 2) ** 0.5


def lcm_sample(unet, noise, context, uncond_context, steps, guidance_scale, *, timestep_cond=None, generator=None):
    """Multistep consistency sampling (LCMScheduler): each step takes the boundary-conditioned estimate of x0 and,
    but after the last, noises it afresh to the next timestep with the generator."""
    timesteps = lcm_timesteps(steps)
    x = noise
    for i, t in enumerate(timesteps):
        eps = guided_eps(unet, x, t, context, uncond_context, guidance_scale, timestep_cond)
        a_t = ALPHAS_CUMPROD[t]
        c_skip, c_out = consistency_scalings(float(t))
        denoised = c_out * (x - (1 - a_t) ** 0.5 * eps) / a_t ** 0.5 + c_skip * x
        if i == len(timesteps) - 1:
            return denoised
        a_next = ALPHAS_CUMPROD[timesteps[i + 1]]
        fresh = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = a_next ** 0.5 * denoised + (1 - a_next) ** 0.5 * fresh
    return x


SAMPLERS = {"ddim": ddim_sample, "dpmpp_2m": dpmpp_2m_sample, "lcm": lcm_sample}
