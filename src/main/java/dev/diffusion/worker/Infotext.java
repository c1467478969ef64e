package dev.diffusion.worker;

import dev.diffusion.jobs.JobRequest;
import dev.diffusion.pipeline.GenerationRequest;
import java.util.Locale;
import java.util.Map;

/** AUTOMATIC1111's "parameters" text, so that tools that read A1111 PNGs read ours too. */
final class Infotext {

    private static final Map<String, String> SAMPLER_LABELS = Map.of(
            "ddpm", "DDPM", "ddim", "DDIM", "pndm", "PLMS", "lms", "LMS", "euler", "Euler",
            "euler_ancestral", "Euler a", "heun", "Heun", "dpmpp_2m", "DPM++ 2M", "dpmpp_2m_sde", "DPM++ 2M SDE",
            "unipc", "UniPC");

    private Infotext() {
    }

    static String of(JobRequest job, long seed) {
        GenerationRequest g = job.generation();
        StringBuilder text = new StringBuilder(g.prompt());
        if (!g.negativePrompt().isEmpty()) {
            text.append("\nNegative prompt: ").append(g.negativePrompt());
        }
        text.append("\nSteps: ").append(g.steps())
                .append(", Sampler: ").append(samplerLabel(g.scheduler()))
                .append(", CFG scale: ").append(number(g.guidanceScale()))
                .append(", Seed: ").append(seed)
                .append(", Size: ").append(g.width()).append('x').append(g.height())
                .append(", Model: ").append(job.model());
        if (g.guidanceRescale() > 0) {
            text.append(", CFG Rescale phi: ").append(number(g.guidanceRescale()));
        }
        if (g.imageToImage()) {
            text.append(", Denoising strength: ").append(number(g.strength()));
        }
        if (g.eta() > 0) {
            text.append(", Eta: ").append(number(g.eta()));
        }
        return text.toString();
    }

    static String samplerLabel(String scheduler) {
        boolean karras = scheduler.endsWith("_karras");
        String base = karras ? scheduler.substring(0, scheduler.length() - "_karras".length()) : scheduler;
        return SAMPLER_LABELS.getOrDefault(base, base) + (karras ? " Karras" : "");
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.1f", value) : Double.toString(value);
    }
}
