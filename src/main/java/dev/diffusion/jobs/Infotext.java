package dev.diffusion.jobs;

import dev.diffusion.catalog.SchedulerCatalog;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * AUTOMATIC1111's "infotext" of an image: what the worker embeds in every picture and what the AUTOMATIC1111 API
 * answers in {@code info}, so that tools that read A1111's parameters read ours too.
 */
public final class Infotext {

    /** What a reader may take for the end of a line: CR, LF, NEL, the Unicode line and paragraph separators. */
    private static final Pattern LINE_BREAKS = Pattern.compile("\\R");

    private Infotext() {
    }

    /**
     * The prompt, the negative prompt, then "Key: value" pairs on one line, for the image of {@code seed}. Readers
     * split it by lines, so a line break inside a prompt could pass for a negative prompt or a line of parameters:
     * each becomes a space.
     */
    public static String of(GenerationSpec spec, long seed) {
        StringBuilder text = new StringBuilder(oneLine(spec.prompt()));
        if (!spec.negativePrompt().isEmpty()) {
            text.append("\nNegative prompt: ").append(oneLine(spec.negativePrompt()));
        }
        text.append("\nSteps: ").append(spec.steps())
                .append(", Sampler: ").append(SchedulerCatalog.a1111Label(spec.scheduler()))
                .append(", CFG scale: ").append(number(spec.guidanceScale()))
                .append(", Seed: ").append(seed)
                .append(", Size: ").append(spec.width()).append('x').append(spec.height())
                .append(", Model: ").append(oneLine(spec.model()));
        if (spec.guidanceRescale() > 0) {
            text.append(", CFG Rescale phi: ").append(number(spec.guidanceRescale()));
        }
        if (spec.imageToImage()) {
            text.append(", Denoising strength: ").append(number(spec.initImage().strength()));
        }
        if (spec.inpainting()) {
            inpainting(text, spec.initImage().inpainting());
        }
        if (spec.eta() > 0) {
            text.append(", Eta: ").append(number(spec.eta()));
        }
        return text.toString();
    }

    /** The keys A1111's img2img adds for a mask, in its order, each where A1111 writes it (not for its defaults). */
    private static void inpainting(StringBuilder text, GenerationSpec.Inpainting inpainting) {
        if (inpainting.maskInvert()) {
            text.append(", Mask mode: Inpaint not masked");
        }
        if (inpainting.maskBlur() > 0) {
            text.append(", Mask blur: ").append(inpainting.maskBlur());
        }
        if (inpainting.area() == GenerationSpec.InpaintArea.MASKED) {
            text.append(", Inpaint area: Only masked, Masked area padding: ").append(inpainting.padding());
        }
        switch (inpainting.maskedContent()) {
            case FILL -> text.append(", Masked content: fill");
            case LATENT_NOISE -> text.append(", Masked content: latent noise");
            case LATENT_NOTHING -> text.append(", Masked content: latent nothing");
            case ORIGINAL -> {
            }
        }
    }

    private static String oneLine(String text) {
        return LINE_BREAKS.matcher(text).replaceAll(" ");
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.1f", value) : Double.toString(value);
    }
}
