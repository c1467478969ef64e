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
        double strength = orDefault(r.strength(), 0.8);
        checkRange(errors, "strength", strength, 0, 1);
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
                byte[] file = checkedInitImage(errors, r.initImage());
                initImage = file == null ? null : new GenerationSpec.InitImage(file, strength);
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

    /** The init image file the client sent, once it is known to decode; null (and a field error) otherwise. */
    private byte[] checkedInitImage(List<FieldError> errors, String encoded) {
        String base64 = encoded.startsWith("data:") && encoded.contains(",")
                ? encoded.substring(encoded.indexOf(',') + 1) : encoded;
        try {
            byte[] file = Base64.getMimeDecoder().decode(base64);
            if (file.length > limits.maxInitImageSize().toBytes()) {
                errors.add(new FieldError("init_image", "must be at most " + limits.maxInitImageSize().toBytes()
                        + " bytes"));
                return null;
            }
            decodeWithinBudget(file);
            return file;
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("init_image", "is not valid base64"));
        } catch (ImageDecoder.InvalidImageException e) {
            errors.add(new FieldError("init_image", e.getMessage()));
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
