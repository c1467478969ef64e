package dev.diffusion.api;

import dev.diffusion.ServesApi;
import dev.diffusion.catalog.Admission;
import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.catalog.ModelCatalog;
import dev.diffusion.catalog.ModelCostBook;
import dev.diffusion.catalog.ModelInfo;
import dev.diffusion.catalog.SchedulerCatalog;
import dev.diffusion.image.ImageDecoder;
import dev.diffusion.image.ImageEncoder;
import dev.diffusion.image.OutputFormat;
import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.web.ByteBudget;
import dev.diffusion.web.FieldError;
import dev.diffusion.web.LimitsProperties;
import dev.diffusion.web.RequestValidationException;
import dev.diffusion.web.ServiceBusyException;
import dev.diffusion.webhooks.WebhookEvent;
import dev.diffusion.webhooks.WebhookTargetException;
import dev.diffusion.webhooks.Webhooks;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Checks a request against the served model and {@code diffusion.limits.*}, and fills in every default, the seed
 * included, so that the job records exactly what ran. All field errors are reported together.
 */
@ServesApi
@Component
public class RequestResolver {

    static final double MAX_GUIDANCE = 30;
    /** AUTOMATIC1111's defaults for the mask's blur and the padding around it; the bounds of its sliders. */
    static final int DEFAULT_MASK_BLUR = 4;
    static final int MAX_MASK_BLUR = 64;
    static final int DEFAULT_INPAINT_PADDING = 32;
    static final int MAX_INPAINT_PADDING = 256;
    /** Random seeds stay below 2^53 so that JavaScript clients read them exactly. */
    private static final long RANDOM_SEED_BOUND = 1L << 53;

    private final ModelCatalog catalog;
    private final ModelCostBook costs;
    private final Clock clock;
    private final LimitsProperties limits;
    private final SecureRandom random = new SecureRandom();
    /** Init images being decoded at once, by their pixels' memory. */
    private final ByteBudget decoding;

    private final Webhooks webhooks;

    public RequestResolver(ModelCatalog catalog, ModelCostBook costs, LimitsProperties limits, Webhooks webhooks,
            Clock clock) {
        this.catalog = catalog;
        this.clock = clock;
        this.webhooks = webhooks;
        this.costs = costs;
        this.limits = limits;
        this.decoding = new ByteBudget(limits.maxDecodingBytes().toBytes());
    }

    /** The job's spec for {@code r}, every default resolved. */
    public GenerationSpec resolve(GenerateRequest r) {
        List<FieldError> errors = new ArrayList<>();
        int maxPromptLength = limits.maxPromptLength();
        if (r.prompt() == null || r.prompt().isBlank()) {
            errors.add(new FieldError("prompt", "is required and must not be blank"));
        } else if (r.prompt().length() > maxPromptLength) {
            errors.add(new FieldError("prompt", "must be at most " + maxPromptLength + " characters"));
        }
        if (r.negativePrompt() != null && r.negativePrompt().length() > maxPromptLength) {
            errors.add(new FieldError("negative_prompt", "must be at most " + maxPromptLength + " characters"));
        }
        Optional<ModelInfo> found = r.model() == null ? Optional.of(catalog.defaultModel()) : catalog.find(r.model());
        if (found.isEmpty()) {
            errors.add(new FieldError("model", "unknown model '" + r.model() + "'; see GET /models"));
            throw new RequestValidationException(errors);
        }
        ModelInfo model = found.get();
        int width = orDefault(r.width(), model.sampleSize());
        int height = orDefault(r.height(), model.sampleSize());
        checkSide(errors, "width", width, model.sizeMultiple());
        checkSide(errors, "height", height, model.sizeMultiple());
        if (width > 0 && height > 0 && (long) width * height > limits.maxPixels()) {
            errors.add(new FieldError("width", "width × height must be at most " + limits.maxPixels() + " pixels"));
        }
        int steps = orDefault(r.steps(), model.defaultSteps());
        checkRange(errors, "steps", steps, 1, limits.maxSteps());
        double guidance = orDefault(r.guidanceScale(), model.defaultGuidanceScale());
        checkRange(errors, "guidance_scale", guidance, 0, MAX_GUIDANCE);
        double rescale = orDefault(r.guidanceRescale(), 0.0);
        checkRange(errors, "guidance_rescale", rescale, 0, 1);
        String scheduler = r.scheduler() == null ? model.defaultScheduler() : r.scheduler();
        if (!catalog.schedulers().contains(scheduler)) {
            errors.add(new FieldError("scheduler", "unknown scheduler '" + scheduler + "'; one of "
                    + String.join(", ", catalog.schedulers())));
        }
        int numImages = orDefault(r.numImages(), 1);
        checkRange(errors, "num_images", numImages, 1, limits.maxImages());
        double eta = orDefault(r.eta(), 0.0);
        checkRange(errors, "eta", eta, 0, 1);
        if (eta > 0 && !SchedulerCatalog.takesEta(scheduler)) {
            errors.add(new FieldError("eta", "applies only to the schedulers "
                    + String.join(", ", SchedulerCatalog.takingEta())));
        }
        // diffusers' inpainting starts from pure noise unless told otherwise; its img2img from 0.8 of the schedule
        double strength = orDefault(r.strength(), r.mask() != null || r.outpaint() != null ? 1.0 : 0.8);
        checkRange(errors, "strength", strength, 0, 1);
        GenerationSpec.Inpainting inpainting = inpainting(errors, r, model, width, height);
        GenerationSpec.Output output = output(errors, r.outputFormat(), r.outputCompression());
        GenerationSpec.Webhook webhook = webhook(errors, r.webhook(), r.webhookEvents());
        if (errors.isEmpty()) {
            admit(errors, model, new Admission.Load(width, height, numImages, steps, scheduler, guidance > 1));
        }
        GenerationSpec.InitImage initImage = null;
        if (r.initImage() != null) {
            if (!model.imageToImage()) {
                errors.add(new FieldError("init_image", "model " + model.name() + " has no VAE encoder for img2img"));
            } else if ((int) (steps * strength) < 1) {
                errors.add(new FieldError("strength", "steps × strength must be at least 1 for img2img"));
            } else if (errors.isEmpty()) {
                byte[] file = checkedImage(errors, "init_image", r.initImage());
                if (file != null && inpainting != null && r.mask() != null) {
                    inpainting = withMask(errors, inpainting, file, r.mask());
                }
                initImage = file == null ? null : new GenerationSpec.InitImage(file, strength, inpainting);
            }
        } else if (r.strength() != null) {
            errors.add(new FieldError("strength", "applies only with init_image"));
        }
        if (!errors.isEmpty()) {
            throw new RequestValidationException(errors);
        }
        return GenerationSpec.builder().model(model.name()).prompt(r.prompt()).negativePrompt(r.negativePrompt())
                .width(width).height(height).steps(steps).guidanceScale(guidance).guidanceRescale(rescale)
                .scheduler(scheduler).seed(r.seed() != null ? r.seed() : random.nextLong(RANDOM_SEED_BOUND))
                .numImages(numImages).eta(eta).initImage(initImage).output(output).webhook(webhook).build();
    }

    /** The images' format; null (and a field error) when the request's is not one. */
    private static GenerationSpec.Output output(List<FieldError> errors, String format, Integer compression) {
        int errorsBefore = errors.size();
        int checkedCompression = orDefault(compression, ImageEncoder.DEFAULT_COMPRESSION);
        checkRange(errors, "output_compression", checkedCompression, 0, 100);
        OutputFormat chosen = OutputFormat.DEFAULT;
        if (format != null) {
            try {
                chosen = OutputFormat.of(format);
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("output_format", e.getMessage()));
            }
        }
        return errors.size() == errorsBefore ? new GenerationSpec.Output(chosen, checkedCompression) : null;
    }

    /**
     * Where and of what to tell the client; null when it named no webhook, or (with a field error) when the URL or
     * its address may not be a target, so that the client hears of it now rather than never.
     */
    private GenerationSpec.Webhook webhook(List<FieldError> errors, String url, List<String> events) {
        if (url == null) {
            if (events != null && !events.isEmpty()) {
                errors.add(new FieldError("webhook_events", "applies only with webhook"));
            }
            return null;
        }
        Set<WebhookEvent> wanted;
        try {
            wanted = WebhookEvent.parse(events);
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("webhook_events", e.getMessage()));
            return null;
        }
        try {
            webhooks.checkTarget(url, null);
        } catch (WebhookTargetException e) {
            errors.add(new FieldError("webhook", e.getMessage()));
            return null;
        }
        return new GenerationSpec.Webhook(url, wanted.stream().sorted().map(WebhookEvent::id).toList());
    }

    /**
     * The inpainting settings, every default resolved, without the mask file (added once the init image is known to
     * decode); null when the request asks for no inpainting, or (with field errors) when the settings are wrong or
     * given without what they apply to.
     */
    private static GenerationSpec.Inpainting inpainting(List<FieldError> errors, GenerateRequest r, ModelInfo model,
            int width, int height) {
        int errorsBefore = errors.size();
        boolean masked = r.mask() != null;
        boolean outpainting = r.outpaint() != null;
        if (r.initImage() == null) {
            onlyWith(errors, "init_image", "mask", r.mask(), "mask_mode", r.maskMode(), "mask_invert",
                    r.maskInvert(), "mask_blur", r.maskBlur(), "masked_content", r.maskedContent(), "inpaint_area",
                    r.inpaintArea(), "inpaint_padding", r.inpaintPadding(), "outpaint", r.outpaint());
            return null;
        }
        if (!masked) {
            onlyWith(errors, "mask", "mask_mode", r.maskMode(), "mask_invert", r.maskInvert());
        }
        if (!masked && !outpainting) {
            onlyWith(errors, "mask or outpaint", "mask_blur", r.maskBlur(), "masked_content", r.maskedContent(),
                    "inpaint_area", r.inpaintArea(), "inpaint_padding", r.inpaintPadding());
            return null;
        }
        GenerationSpec.MaskMode mode = choice(errors, "mask_mode", GenerationSpec.MaskMode.class, r.maskMode(),
                GenerationSpec.MaskMode.LUMINANCE);
        int blur = orDefault(r.maskBlur(), DEFAULT_MASK_BLUR);
        checkRange(errors, "mask_blur", blur, 0, MAX_MASK_BLUR);
        GenerationSpec.MaskedContent content = choice(errors, "masked_content", GenerationSpec.MaskedContent.class,
                r.maskedContent(), GenerationSpec.MaskedContent.ORIGINAL);
        GenerationSpec.InpaintArea area = choice(errors, "inpaint_area", GenerationSpec.InpaintArea.class,
                r.inpaintArea(), GenerationSpec.InpaintArea.WHOLE);
        int padding = orDefault(r.inpaintPadding(), DEFAULT_INPAINT_PADDING);
        checkRange(errors, "inpaint_padding", padding, 0, MAX_INPAINT_PADDING);
        GenerationSpec.Outpaint outpaint = outpainting ? outpaint(errors, r.outpaint(), model, width, height) : null;
        if (errors.size() != errorsBefore) {
            return null;
        }
        return new GenerationSpec.Inpainting(null, mode, Boolean.TRUE.equals(r.maskInvert()), blur, content, area,
                padding, outpaint);
    }

    /**
     * The canvas extension, checked: each side a multiple of the model's size step, at least one above zero, and room
     * left for the init image inside the {@code width × height} canvas.
     */
    private static GenerationSpec.Outpaint outpaint(List<FieldError> errors, GenerateRequest.Outpaint o,
            ModelInfo model, int width, int height) {
        int errorsBefore = errors.size();
        int left = extension(errors, "outpaint.left", o.left(), model.sizeMultiple());
        int right = extension(errors, "outpaint.right", o.right(), model.sizeMultiple());
        int up = extension(errors, "outpaint.up", o.up(), model.sizeMultiple());
        int down = extension(errors, "outpaint.down", o.down(), model.sizeMultiple());
        GenerationSpec.OutpaintFill fill = choice(errors, "outpaint.fill", GenerationSpec.OutpaintFill.class,
                o.fill(), GenerationSpec.OutpaintFill.EDGE);
        if (errors.size() != errorsBefore) {
            return null;
        }
        if (left + right + up + down == 0) {
            errors.add(new FieldError("outpaint", "must extend at least one side (left, right, up or down)"));
        } else if (width - left - right <= 0 || height - up - down <= 0) {
            errors.add(new FieldError("outpaint", "leaves no room for the image: width − left − right and height − up"
                    + " − down must be positive (the canvas is width × height, " + width + "×" + height + ")"));
        } else {
            return new GenerationSpec.Outpaint(left, right, up, down, fill);
        }
        return null;
    }

    private static int extension(List<FieldError> errors, String field, Integer value, int multiple) {
        int pixels = orDefault(value, 0);
        if (pixels < 0 || pixels % multiple != 0) {
            errors.add(new FieldError(field, "must be 0 or a positive multiple of " + multiple));
        }
        return pixels;
    }

    /**
     * The settings with the mask file, once it is known to decode, to have the init image's pixel size and, to be read
     * by its alpha, an alpha channel; null (and a field error) otherwise.
     */
    private GenerationSpec.Inpainting withMask(List<FieldError> errors, GenerationSpec.Inpainting settings,
            byte[] initImage, String encodedMask) {
        byte[] mask = checkedImage(errors, "mask", encodedMask);
        if (mask == null) {
            return null;
        }
        ImageDecoder.Header init = ImageDecoder.header(initImage);
        ImageDecoder.Header header = ImageDecoder.header(mask);
        if (header.width() != init.width() || header.height() != init.height()) {
            errors.add(new FieldError("mask", "is " + header.size() + " but init_image is " + init.size()
                    + ": the mask must have the init image's pixel size"));
            return null;
        }
        if (settings.maskMode() == GenerationSpec.MaskMode.ALPHA && !header.alpha()) {
            errors.add(new FieldError("mask", "has no alpha channel, so mask_mode alpha (transparent = repaint) cannot"
                    + " read it: send a PNG with transparency, or use mask_mode luminance"));
            return null;
        }
        return new GenerationSpec.Inpainting(mask, settings.maskMode(), settings.maskInvert(), settings.maskBlur(),
                settings.maskedContent(), settings.area(), settings.padding(), settings.outpaint());
    }

    /** One field error per given setting: it {@code appliesWith} something the request lacks. */
    private static void onlyWith(List<FieldError> errors, String appliesWith, Object... namesAndValues) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                errors.add(new FieldError((String) namesAndValues[i], "applies only with " + appliesWith));
            }
        }
    }

    /** The choice the client named, or {@code fallback} if none; null (and a field error) if it is not one. */
    private static <E extends Enum<E>> E choice(List<FieldError> errors, String field, Class<E> type, String id,
            E fallback) {
        if (id == null) {
            return fallback;
        }
        try {
            return GenerationSpec.choice(type, id);
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError(field, e.getMessage()));
            return null;
        }
    }

    /** An image file the client sent, once it is known to decode; null (and a field error) otherwise. */
    private byte[] checkedImage(List<FieldError> errors, String field, String encoded) {
        String base64 = encoded.startsWith("data:") && encoded.contains(",")
                ? encoded.substring(encoded.indexOf(',') + 1) : encoded;
        try {
            byte[] file = Base64.getMimeDecoder().decode(base64);
            if (file.length > limits.maxInitImageSize().toBytes()) {
                errors.add(new FieldError(field, "must be at most " + limits.maxInitImageSize().toBytes() + " bytes"));
                return null;
            }
            decodeWithinBudget(file);
            return file;
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError(field, "is not valid base64"));
        } catch (ImageDecoder.InvalidImageException e) {
            errors.add(new FieldError(field, e.getMessage()));
        }
        return null;
    }

    /**
     * Decodes the file to see that it is whole, taking the memory its pixels need from the budget of decodes running
     * at once (a decoded picture takes 4 bytes a pixel).
     *
     * @throws ServiceBusyException when other decodes hold the budget
     */
    private void decodeWithinBudget(byte[] file) {
        long pixels = ImageDecoder.claimedPixels(file);
        if (pixels > limits.maxInitImagePixels()) {
            ImageDecoder.check(file, limits.maxInitImagePixels());  // refuses it, saying why
        }
        long bytes = pixels * 4;
        if (!decoding.tryTake(bytes)) {
            throw new ServiceBusyException("too many images are being decoded at once; try again shortly");
        }
        try {
            ImageDecoder.check(file, limits.maxInitImagePixels());
        } finally {
            decoding.giveBack(bytes);
        }
    }

    /**
     * Refuses a job that a worker could not run within its budget, by the model's measured costs. Before any worker
     * has measured the model, only sizes up to its own are taken (503 for larger ones until then); a job that fits but
     * would overrun at the pace the worker runs now is answered 503 too.
     */
    private void admit(List<FieldError> errors, ModelInfo model, Admission.Load load) {
        Optional<MeasuredCosts> measured = costs.find(model.name());
        if (measured.isEmpty()) {
            if ((long) load.width() * load.height() > (long) model.sampleSize() * model.sampleSize()) {
                throw new ServiceBusyException("no worker has measured the costs of model " + model.name()
                        + " yet, so sizes above its own " + model.sampleSize() + "×" + model.sampleSize()
                        + " are not taken until one has; try again shortly");
            }
            return;
        }
        Optional<String> refusal = Admission.refusal(model, measured.get(), load);
        refusal.ifPresent(reason -> errors.add(new FieldError(load.width() >= load.height() ? "width" : "height",
                reason)));
        if (refusal.isEmpty()) {
            // it fits the worker, but not at the pace the worker runs now: the client may try again later
            Admission.deferral(model, measured.get(), load, clock.instant()).ifPresent(reason -> {
                throw new ServiceBusyException(reason);
            });
        }
    }

    ByteBudget decodingBudget() {
        return decoding;
    }

    private static void checkSide(List<FieldError> errors, String field, int value, int multiple) {
        if (value < multiple || value % multiple != 0) {
            errors.add(new FieldError(field, "must be a positive multiple of " + multiple));
        }
    }

    private static void checkRange(List<FieldError> errors, String field, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            errors.add(new FieldError(field, "must be between " + format(min) + " and " + format(max)));
        }
    }

    private static String format(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static int orDefault(Integer value, int fallback) {
        return value == null ? fallback : value;
    }

    private static double orDefault(Double value, double fallback) {
        return value == null ? fallback : value;
    }
}
