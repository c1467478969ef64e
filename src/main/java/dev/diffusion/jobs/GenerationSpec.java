package dev.diffusion.jobs;

import dev.diffusion.image.ImageEncoder;
import dev.diffusion.image.OutputFormat;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a job makes, with every default resolved (the seed included): the one format in which a job is queued, stored
 * and shown. The API builds it from a request; the worker alone turns it into the engine's request. Image {@code i}
 * uses seed {@code seed + i}. Build one with {@link #builder()}.
 *
 * @param version   the format's version, {@link #VERSION}; a reader refuses any other
 * @param initImage img2img's starting picture and strength, and inpainting's mask and settings; null for
 *                  text-to-image
 * @param output    the picture format of the finished images; jobs stored before it existed read as PNG
 * @param webhook   where to tell of the job's changes; null (also for jobs stored before it existed): nowhere
 */
public record GenerationSpec(
        int version,
        String model,
        String prompt,
        String negativePrompt,
        int width,
        int height,
        int steps,
        double guidanceScale,
        double guidanceRescale,
        String scheduler,
        long seed,
        int numImages,
        double eta,
        InitImage initImage,
        Output output,
        Webhook webhook) {

    public static final int VERSION = 1;

    /**
     * img2img's input: the file the client sent (PNG or JPEG bytes, after base64), resized to the spec's size when the
     * job runs, and how far into the noise schedule the run starts (1 = from pure noise).
     *
     * @param file       null once the job has ended: the picture is not kept beyond its use
     * @param inpainting what to repaint of it (inpainting, outpainting); null for plain img2img and for jobs stored
     *                   before inpainting existed
     */
    public record InitImage(byte[] file, double strength, Inpainting inpainting) {

        /** Plain img2img. */
        public InitImage(byte[] file, double strength) {
            this(file, strength, null);
        }

        InitImage withoutFiles() {
            return new InitImage(null, strength, inpainting == null ? null : inpainting.withoutMask());
        }
    }

    /**
     * Inpainting and outpainting of the init image, as AUTOMATIC1111 and diffusers name the settings.
     *
     * @param mask          the mask file the client sent (PNG or JPEG bytes, the init image's pixel size); null when
     *                      only outpainting, and once the job has ended
     * @param maskMode      how the mask is read
     * @param maskInvert    repaint what the mask keeps and keep what it repaints
     * @param maskBlur      the Gaussian blur radius in pixels applied to the mask before use
     * @param maskedContent what the masked area starts from
     * @param area          the whole picture, or only the mask's surroundings at full resolution
     * @param padding       pixels around the mask's bounding box, for {@link InpaintArea#MASKED}
     * @param outpaint      the canvas extension; null for inpainting within the picture
     */
    public record Inpainting(byte[] mask, MaskMode maskMode, boolean maskInvert, int maskBlur,
            MaskedContent maskedContent, InpaintArea area, int padding, Outpaint outpaint) {

        public Inpainting {
            Objects.requireNonNull(maskMode, "maskMode");
            Objects.requireNonNull(maskedContent, "maskedContent");
            Objects.requireNonNull(area, "area");
        }

        Inpainting withoutMask() {
            return mask == null ? this : new Inpainting(null, maskMode, maskInvert, maskBlur, maskedContent, area,
                    padding, outpaint);
        }
    }

    /**
     * Outpainting: pixels added on each side of the init image (which is resized to the rest of the canvas), and
     * what the new border starts as.
     */
    public record Outpaint(int left, int right, int up, int down, OutpaintFill fill) {

        public Outpaint {
            Objects.requireNonNull(fill, "fill");
            if (left < 0 || right < 0 || up < 0 || down < 0) {
                throw new IllegalArgumentException("outpaint extensions must not be negative");
            }
        }
    }

    /**
     * How a mask is read: by its grey level (white repaints; diffusers, A1111) or its alpha (transparent repaints;
     * OpenAI's edits).
     */
    public enum MaskMode {
        LUMINANCE, ALPHA
    }

    /** What the masked area starts from: A1111's {@code inpainting_fill} 1, 0, 2 and 3. */
    public enum MaskedContent {
        ORIGINAL, FILL, LATENT_NOISE, LATENT_NOTHING
    }

    /**
     * Whether the whole picture is generated, or only the masked area's surroundings, scaled up (A1111's
     * {@code inpaint_full_res}).
     */
    public enum InpaintArea {
        WHOLE, MASKED
    }

    /** What an outpainted border starts as: the nearest edge pixel's colour, or seeded random colours. */
    public enum OutpaintFill {
        EDGE, NOISE
    }

    /** A choice's name as clients write it: lower case ({@code latent_noise}). */
    public static String id(Enum<?> choice) {
        return choice.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The choice of {@code type} that clients call {@code id}.
     *
     * @throws IllegalArgumentException naming the choices there are, for the client ("must be one of ...")
     */
    public static <E extends Enum<E>> E choice(Class<E> type, String id) {
        for (E value : type.getEnumConstants()) {
            if (id(value).equals(id)) {
                return value;
            }
        }
        throw new IllegalArgumentException("must be one of " + Arrays.stream(type.getEnumConstants())
                .map(GenerationSpec::id).collect(Collectors.joining(", ")));
    }

    /**
     * The picture format of the finished images and OpenAI's {@code output_compression} for it (0..100, 100 the least
     * lossy; PNG ignores it).
     */
    public record Output(OutputFormat format, int compression) {

        /** PNG, as every image was before formats could be chosen. */
        public static final Output DEFAULT = new Output(OutputFormat.DEFAULT, ImageEncoder.DEFAULT_COMPRESSION);

        public Output {
            Objects.requireNonNull(format, "format");
            OutputFormat.checkCompression(compression);
        }
    }

    /**
     * Where the client wants to hear of the job, and of which changes.
     *
     * @param events the ids of the events to send ({@code started}, {@code progress}, {@code succeeded},
     *               {@code failed}, {@code cancelled})
     */
    public record Webhook(String url, List<String> events) {

        public Webhook {
            Objects.requireNonNull(url, "url");
            events = List.copyOf(events);
        }

        public boolean wants(String event) {
            return events.contains(event);
        }
    }

    public GenerationSpec {
        if (version != VERSION) {
            throw new IllegalArgumentException("job format version " + version + " is not known here (" + VERSION
                    + " is)");
        }
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(scheduler, "scheduler");
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        output = output == null ? Output.DEFAULT : output;
    }

    public boolean imageToImage() {
        return initImage != null;
    }

    /** Whether the job repaints part of its init image (inpainting or outpainting). */
    public boolean inpainting() {
        return initImage != null && initImage.inpainting() != null;
    }

    /** This spec without the init image's and the mask's bytes, for a job that has ended. */
    GenerationSpec withoutInitImageFile() {
        return initImage == null || initImage.file() == null ? this : toBuilder().initImage(initImage.withoutFiles())
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().model(model).prompt(prompt).negativePrompt(negativePrompt).width(width).height(height)
                .steps(steps).guidanceScale(guidanceScale).guidanceRescale(guidanceRescale).scheduler(scheduler)
                .seed(seed).numImages(numImages).eta(eta).initImage(initImage).output(output).webhook(webhook);
    }

    /** Named fields for a spec; everything but model, prompt and scheduler has a neutral default. */
    public static final class Builder {

        private String model;
        private String prompt;
        private String negativePrompt = "";
        private int width;
        private int height;
        private int steps;
        private double guidanceScale;
        private double guidanceRescale;
        private String scheduler;
        private long seed;
        private int numImages = 1;
        private double eta;
        private InitImage initImage;
        private Output output;
        private Webhook webhook;

        private Builder() {
        }

        public Builder model(String value) {
            model = value;
            return this;
        }

        public Builder prompt(String value) {
            prompt = value;
            return this;
        }

        public Builder negativePrompt(String value) {
            negativePrompt = value;
            return this;
        }

        public Builder width(int value) {
            width = value;
            return this;
        }

        public Builder height(int value) {
            height = value;
            return this;
        }

        public Builder steps(int value) {
            steps = value;
            return this;
        }

        public Builder guidanceScale(double value) {
            guidanceScale = value;
            return this;
        }

        public Builder guidanceRescale(double value) {
            guidanceRescale = value;
            return this;
        }

        public Builder scheduler(String value) {
            scheduler = value;
            return this;
        }

        public Builder seed(long value) {
            seed = value;
            return this;
        }

        public Builder numImages(int value) {
            numImages = value;
            return this;
        }

        public Builder eta(double value) {
            eta = value;
            return this;
        }

        public Builder initImage(InitImage value) {
            initImage = value;
            return this;
        }

        public Builder output(Output value) {
            output = value;
            return this;
        }

        public Builder webhook(Webhook value) {
            webhook = value;
            return this;
        }

        public GenerationSpec build() {
            return new GenerationSpec(VERSION, model, prompt, negativePrompt, width, height, steps, guidanceScale,
                    guidanceRescale, scheduler, seed, numImages, eta, initImage, output, webhook);
        }
    }
}
