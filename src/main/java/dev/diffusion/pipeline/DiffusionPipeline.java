package dev.diffusion.pipeline;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.LoadedModel;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.model.ModelPredictors;
import dev.diffusion.model.UnetExtraInput;
import dev.diffusion.pipeline.ModelCallListener.Network;
import dev.diffusion.scheduler.Scheduler;
import dev.diffusion.scheduler.SchedulerConfig;
import dev.diffusion.scheduler.Schedulers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Text (or image) to image with one loaded model, for one thread: encodes the prompts, seeds each image's noise,
 * runs the denoising loop with classifier-free guidance and any scheduler, and decodes with the VAE.
 * {@link #generate} runs one request start to end; {@link #prepare}, {@link #step} and {@link #decode} are the same
 * run in pieces, for a batcher that steps several requests' images together.
 */
public final class DiffusionPipeline implements AutoCloseable {

    private final ModelIndex index;
    private final SchedulerConfig schedulerConfig;
    /** One per text encoder, in order. */
    private final List<ClipTokenizer> tokenizers;
    private final ModelPredictors predictors;
    private final DenoisingStep denoisingStep;
    private final ModelCallListener modelCalls;
    private final IntraOpThreads threads;

    public DiffusionPipeline(LoadedModel model) {
        this(model, ModelCallListener.NONE);
    }

    public DiffusionPipeline(LoadedModel model, ModelCallListener modelCalls) {
        this(model, modelCalls, IntraOpThreads.UNCHANGED);
    }

    /**
     * @param modelCalls hears every network call
     * @param threads    libtorch's intra-op threads by a call's rows, set on the calling thread before each call
     */
    public DiffusionPipeline(LoadedModel model, ModelCallListener modelCalls, IntraOpThreads threads) {
        this.index = model.folder().index();
        this.schedulerConfig = new SchedulerConfig(model.folder().schedulerConfig());
        List<Path> tokenizerFiles = model.folder().tokenizerFiles();
        this.tokenizers = new ArrayList<>(tokenizerFiles.size());
        for (int i = 0; i < tokenizerFiles.size(); i++) {
            tokenizers.add(new ClipTokenizer(tokenizerFiles.get(i), index.maxTextLength(),
                    i == 0 ? index.padTokenId() : index.padTokenId2(), index.textCleaning()));
        }
        this.predictors = model.newPredictors();
        this.denoisingStep = new DenoisingStep(predictors, modelCalls, threads, index.unetExtraInputs().size());
        this.modelCalls = modelCalls;
        this.threads = threads;
    }

    /** libtorch's thread counts this pipeline sets by a call's work. */
    public IntraOpThreads threads() {
        return threads;
    }

    public ModelIndex index() {
        return index;
    }

    /** Runs a whole request; {@code listener} hears every step and may stop the run. */
    public List<GeneratedImage> generate(GenerationRequest request, StepListener listener) {
        List<ImageSampling> images = prepare(request);
        int total = images.get(0).totalSteps();
        while (!images.get(0).done()) {
            step(images).values().stream().findFirst().ifPresent(failure -> {
                throw failure;
            });
            int done = images.get(0).stepsDone();
            if (!listener.onStep(done, total)) {
                throw new GenerationCancelledException(done, total);
            }
        }
        return decode(images, request.width(), request.height());
    }

    /** Encodes the text and seeds every image of the request, ready for its first step. */
    public List<ImageSampling> prepare(GenerationRequest request) {
        long[] shape = latentShape(request.width(), request.height());
        int latentLength = Math.toIntExact(shape[0] * shape[1] * shape[2]);
        Conditioning conditioning = conditioning(request);
        // an inpainting UNet always takes a mask: without one the whole picture is repainted, as AUTOMATIC1111 does
        MaskInputs mask = request.inpainting() || index.inpaintingUnet() ? maskInputs(request, shape) : null;
        boolean blending = mask != null && !index.inpaintingUnet();
        EncodedImage encodedInit = request.imageToImage() ? encodeImage(rgbToChw(request.initImage()),
                request.width(), request.height()) : null;
        List<ImageSampling> images = new ArrayList<>(request.numImages());
        double[] firstKnown = null;
        double[] firstMaskedImage = null;
        for (int i = 0; i < request.numImages(); i++) {
            long seed = request.seed() + i;
            TorchRandom random = new TorchRandom(seed);
            Scheduler scheduler = Schedulers.create(request.scheduler(), schedulerConfig, request.eta());
            scheduler.setTimesteps(request.steps());
            double[] timesteps = scheduler.timesteps();
            if (encodedInit != null) {
                timesteps = startPartWay(scheduler, timesteps, request);
            }
            double[] start;
            LatentInpainting inpainting = null;
            if (mask != null) {
                // diffusers' StableDiffusionInpaintPipeline, drawing from the first image's generator in its order:
                // the init image's latent sample (which an inpainting UNet needs only to start part-way), the noise,
                // then the masked image's latent sample (drawn, though an ordinary UNet does not use it). Given one
                // generator per image, it samples both pictures once, with the first image's, for every image; the
                // other images draw only their noise.
                boolean fromNoise = request.strength() >= 1;
                double[] known = firstKnown;
                if (i == 0 && encodedInit != null && (blending || !fromNoise)) {
                    known = encodedInit.sample(random, index.scalingFactor());
                }
                double[] noise = random.nextGaussian(latentLength);
                double[] maskedImage = firstMaskedImage;
                if (i == 0) {
                    maskedImage = blending ? mask.skipMaskedImageSample(random, encodedInit, latentLength)
                            : mask.maskedImage().sample(random, index.scalingFactor());
                    firstKnown = known;
                    firstMaskedImage = maskedImage;
                }
                start = fromNoise ? scaled(noise.clone(), scheduler.initNoiseSigma())
                        : scheduler.addNoise(maskedStart(known, mask.latent(), request.maskedStart(), random),
                                noise, timesteps[0]);
                inpainting = blending ? LatentInpainting.blending(mask.latent(), known, noise)
                        : LatentInpainting.conditioning(mask.latent(), maskedImage);
            } else if (encodedInit == null) {
                start = scaled(random.nextGaussian(latentLength), scheduler.initNoiseSigma());
            } else {
                // the image's generator draws the latent sample first, then the noise, as diffusers' img2img
                double[] initLatents = encodedInit.sample(random, index.scalingFactor());
                start = scheduler.addNoise(initLatents, random.nextGaussian(latentLength), timesteps[0]);
            }
            images.add(new ImageSampling(i, seed, scheduler, random::nextGaussian, timesteps, shape, start,
                    conditioning, request.guidanceScale(), request.guidanceRescale(), inpainting));
        }
        return images;
    }

    /**
     * diffusers' img2img and inpainting: skip the first (1 - strength) of the schedule, the scheduler told where it
     * begins.
     */
    private static double[] startPartWay(Scheduler scheduler, double[] timesteps, GenerationRequest request) {
        int skip = (request.steps() - Math.min((int) (request.steps() * request.strength()), request.steps()))
                * scheduler.order();
        double[] remaining = Arrays.copyOfRange(timesteps, skip, timesteps.length);
        if (remaining.length == 0) {
            throw new IllegalArgumentException("strength " + request.strength() + " with " + request.steps()
                    + " steps leaves no step to run; raise strength or steps");
        }
        scheduler.setBeginIndex(skip);
        return remaining;
    }

    /**
     * The latents to noise to the first timestep: the init image's, inside the mask replaced by unit noise (drawn
     * after diffusers' draws) or zero, as AUTOMATIC1111's "latent noise" and "latent nothing" do.
     */
    private static double[] maskedStart(double[] known, float[] latentMask, MaskedStart start, TorchRandom random) {
        if (start == MaskedStart.IMAGE) {
            return known;
        }
        double[] noise = start == MaskedStart.NOISE ? random.nextGaussian(known.length) : null;
        double[] latents = known.clone();
        int plane = latentMask.length;
        for (int j = 0; j < latents.length; j++) {
            double m = latentMask[j % plane];
            latents[j] = (1 - m) * known[j] + m * (noise == null ? 0 : noise[j]);
        }
        return latents;
    }

    /**
     * A request's mask at latent size and, for an inpainting UNet, the masked image's latent distribution, as
     * diffusers' {@code prepare_mask_latents} makes them.
     */
    private MaskInputs maskInputs(GenerationRequest request, long[] shape) {
        int width = request.width();
        int height = request.height();
        int planeSize = width * height;
        byte[] pixelMask = request.mask();
        if (pixelMask == null) {
            pixelMask = new byte[planeSize];
            Arrays.fill(pixelMask, (byte) 255);
        }
        // VaeImageProcessor binarises at 0.5 (128 of 255 and above repaint), then interpolate(nearest) to latent size
        int latentHeight = (int) shape[1];
        int latentWidth = (int) shape[2];
        int factor = index.vaeScaleFactor();
        float[] latent = new float[latentHeight * latentWidth];
        for (int y = 0; y < latentHeight; y++) {
            for (int x = 0; x < latentWidth; x++) {
                latent[y * latentWidth + x] = repaints(pixelMask[y * factor * width + x * factor]) ? 1f : 0f;
            }
        }
        EncodedImage maskedImage = null;
        if (index.inpaintingUnet()) {
            // init_image * (mask < 0.5): kept pixels as they are, repainted ones 0 (grey); no init image: all grey
            float[] chw = request.imageToImage() ? rgbToChw(request.initImage()) : new float[3 * planeSize];
            for (int p = 0; p < planeSize; p++) {
                if (repaints(pixelMask[p])) {
                    chw[p] = 0;
                    chw[planeSize + p] = 0;
                    chw[2 * planeSize + p] = 0;
                }
            }
            maskedImage = encodeImage(chw, width, height);
        }
        return new MaskInputs(latent, maskedImage);
    }

    private static boolean repaints(byte maskValue) {
        return (maskValue & 0xff) >= 128;
    }

    /**
     * @param latent      {@code [h, w]}: 1 repaint, 0 keep
     * @param maskedImage an inpainting UNet's masked image through the VAE encoder; null for an ordinary UNet
     */
    private record MaskInputs(float[] latent, EncodedImage maskedImage) {

        /**
         * An ordinary UNet does not take the masked image, but diffusers samples its latents all the same: the
         * draws are skipped, as many as its sample would take, so that the scheduler's own draws match.
         */
        double[] skipMaskedImageSample(TorchRandom random, EncodedImage init, int latentLength) {
            if (init != null && init.std() != null) {
                random.nextGaussian(latentLength);
            }
            return null;
        }
    }

    /**
     * One denoising step, in one UNet call, for images of the same size (of one request or several). Returns the
     * images that failed, each with its cause; the others advanced. Throws only if the UNet call itself failed.
     */
    public Map<ImageSampling, RuntimeException> step(List<ImageSampling> images) {
        return denoisingStep.run(images);
    }

    /** Decodes finished images in one VAE call. */
    public List<GeneratedImage> decode(List<ImageSampling> images, int width, int height) {
        long[] shape = latentShape(width, height);
        int latentLength = Math.toIntExact(shape[0] * shape[1] * shape[2]);
        float[] latents = new float[images.size() * latentLength];
        for (int i = 0; i < images.size(); i++) {
            double[] image = images.get(i).latents();
            for (int j = 0; j < latentLength; j++) {
                latents[i * latentLength + j] = (float) (image[j] / index.scalingFactor());
            }
        }
        Shape latentsShape = new Shape(images.size(), shape[0], shape[1], shape[2]);
        float[] pixels = predict(predictors.vaeDecoder(), Network.VAE_DECODER, images.size(), latentsShape,
                manager -> manager.create(latents, latentsShape));
        List<GeneratedImage> out = new ArrayList<>(images.size());
        int planeSize = width * height;
        for (int i = 0; i < images.size(); i++) {
            ImageSampling image = images.get(i);
            out.add(new GeneratedImage(image.index(), image.seed(), width, height,
                    toRgb(pixels, i * 3 * planeSize, planeSize, image.seed())));
        }
        return out;
    }

    /** One image's latent {@code [channels, height, width]} for a picture of {@code width × height} pixels. */
    public long[] latentShape(int width, int height) {
        int factor = index.vaeScaleFactor();
        if (width % factor != 0 || height % factor != 0) {
            throw new IllegalArgumentException("width and height must be multiples of " + factor);
        }
        return new long[] {index.latentChannels(), height / factor, width / factor};
    }

    /**
     * The UNet's rows for a request, as diffusers' pipelines make them: each text encoder's hidden states for the
     * prompt (and for the negative prompt when guided), concatenated on the hidden axis in encoder order, and the
     * extra inputs. With {@code force_zeros_for_empty_prompt} an empty negative prompt gives zeros (SDXL).
     */
    private Conditioning conditioning(GenerationRequest request) {
        boolean unconditionalPass = unconditionalPass(request);
        boolean zeroNegative = unconditionalPass && request.negativePrompt().isEmpty()
                && index.forceZerosForEmptyPrompt();
        List<String> texts = unconditionalPass && !zeroNegative
                ? List.of(request.negativePrompt(), request.prompt())
                : List.of(request.prompt());
        int tokens = index.maxTextLength();
        List<float[][]> hidden = new ArrayList<>();
        float[][] pooled = null;
        int hiddenSize = 0;
        for (int e = 0; e < tokenizers.size(); e++) {
            long[] ids = new long[texts.size() * tokens];
            for (int i = 0; i < texts.size(); i++) {
                System.arraycopy(tokenizers.get(e).encode(texts.get(i)), 0, ids, i * tokens, tokens);
            }
            Shape idsShape = new Shape(texts.size(), tokens);
            List<float[]> outputs = predictAll(predictors.textEncoders().get(e), Network.TEXT_ENCODER,
                    request.numImages(), idsShape, manager -> manager.create(ids, idsShape));
            hidden.add(rows(outputs.get(0), texts.size()));
            hiddenSize += outputs.get(0).length / texts.size() / tokens;
            // the pooled output the UNet takes is the last encoder's, as in diffusers' SDXL pipelines
            pooled = outputs.size() > 1 ? rows(outputs.get(1), texts.size()) : null;
        }
        int conditional = texts.size() - 1;
        Conditioning.Row prompt = row(hidden, conditional, tokens, hiddenSize, pooled, request, true);
        Conditioning.Row negative = null;
        if (zeroNegative) {
            negative = new Conditioning.Row(new float[tokens * hiddenSize],
                    extras(pooled == null ? null : new float[pooled[0].length], request, false));
        } else if (unconditionalPass) {
            negative = row(hidden, 0, tokens, hiddenSize, pooled, request, false);
        }
        return new Conditioning(prompt, negative, tokens, hiddenSize);
    }

    /**
     * Whether the request takes classifier-free guidance's unconditional pass: not for a UNet that takes the guidance
     * scale as an input, as diffusers' pipelines skip it for a UNet with {@code time_cond_proj_dim}.
     */
    private boolean unconditionalPass(GenerationRequest request) {
        return request.guided() && !index.takesGuidanceEmbedding();
    }

    /** Text {@code text}'s row: the encoders' hidden states side by side per token, and the extra inputs. */
    private Conditioning.Row row(List<float[][]> hidden, int text, int tokens, int hiddenSize, float[][] pooled,
            GenerationRequest request, boolean conditional) {
        float[] context = new float[tokens * hiddenSize];
        int offset = 0;
        for (float[][] encoder : hidden) {
            int size = encoder[text].length / tokens;
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(encoder[text], t * size, context, t * hiddenSize + offset, size);
            }
            offset += size;
        }
        return new Conditioning.Row(context, extras(pooled == null ? null : pooled[text], request, conditional));
    }

    /** The UNet's extra inputs for one row, in model_index.json's order. */
    private List<float[]> extras(float[] pooled, GenerationRequest request, boolean conditional) {
        List<float[]> extras = new ArrayList<>();
        for (UnetExtraInput input : index.unetExtraInputs()) {
            extras.add(switch (input) {
                case TEXT_EMBEDS -> {
                    if (pooled == null) {
                        throw new IllegalStateException("model_index.json names text_embeds, but no text encoder of"
                                + " this model gives a pooled output");
                    }
                    yield pooled;
                }
                case TIME_IDS -> TimeIds.of(index.timeIds(), request.width(), request.height(), conditional);
                case TIMESTEP_COND -> GuidanceEmbedding.of(request.guidanceScale(), index.timeCondProjDim());
            });
        }
        return extras;
    }

    /** A network's output of {@code count} rows, split by row. */
    private static float[][] rows(float[] output, int count) {
        int length = output.length / count;
        float[][] rows = new float[count][];
        for (int i = 0; i < count; i++) {
            rows[i] = Arrays.copyOfRange(output, i * length, (i + 1) * length);
        }
        return rows;
    }

    /** Packed RGB bytes as the VAE encoder takes them: CHW floats in [-1, 1], as diffusers' preprocess makes them. */
    private static float[] rgbToChw(byte[] rgb) {
        int planeSize = rgb.length / 3;
        float[] chw = new float[3 * planeSize];
        for (int p = 0; p < planeSize; p++) {
            for (int c = 0; c < 3; c++) {
                chw[c * planeSize + p] = (rgb[p * 3 + c] & 0xff) / 255f * 2f - 1f;
            }
        }
        return chw;
    }

    /**
     * A picture through the VAE encoder: its latent distribution's mean and standard deviation, or the mean alone
     * from a folder exported before the encoder gave both.
     */
    private EncodedImage encodeImage(float[] chw, int width, int height) {
        if (predictors.vaeEncoder() == null) {
            throw new IllegalArgumentException("this model has no VAE encoder, so it cannot do img2img or inpainting");
        }
        // the encoder's work is the decoder's for the same picture: counted by the latent it makes
        long[] shape = latentShape(width, height);
        float[] encoded = predict(predictors.vaeEncoder(), Network.VAE_ENCODER, 1,
                new Shape(1, shape[0], shape[1], shape[2]),
                manager -> manager.create(chw, new Shape(1, 3, height, width)));
        int latentLength = Math.toIntExact(shape[0] * shape[1] * shape[2]);
        if (encoded.length == latentLength) {
            return new EncodedImage(encoded, null);
        }
        if (encoded.length != 2 * latentLength) {
            throw new GenerationException("the VAE encoder gave " + encoded.length + " values, not a latent's "
                    + latentLength + " (mean) or twice that (mean and standard deviation)");
        }
        return new EncodedImage(Arrays.copyOfRange(encoded, 0, latentLength),
                Arrays.copyOfRange(encoded, latentLength, 2 * latentLength));
    }

    /** An init image's latent distribution; {@code std} is null when only the mean is known. */
    private record EncodedImage(float[] mean, float[] std) {

        /**
         * Scaled latents to start from: mean + std · noise drawn from the image's generator, as diffusers'
         * {@code retrieve_latents} samples the distribution; the mean itself when the std is unknown.
         */
        double[] sample(TorchRandom random, double scalingFactor) {
            double[] noise = std == null ? null : random.nextGaussian(mean.length);
            double[] latents = new double[mean.length];
            for (int i = 0; i < mean.length; i++) {
                double value = noise == null ? mean[i] : mean[i] + std[i] * noise[i];
                latents[i] = value * scalingFactor;
            }
            return latents;
        }
    }

    /** One call of a network; {@code work} is the input shape its threads are chosen by ({@link IntraOpThreads}). */
    private float[] predict(Predictor<NDList, NDList> predictor, Network network, int images, Shape work,
            Function<NDManager, NDArray> input) {
        List<float[]> outputs = predictAll(predictor, network, images, work, input);
        if (outputs.size() != 1) {
            throw new GenerationException("the " + network.label() + " gave " + outputs.size() + " outputs, not one");
        }
        return outputs.get(0);
    }

    /** Every output of a network call (a text encoder may give its hidden states and a pooled output). */
    private List<float[]> predictAll(Predictor<NDList, NDList> predictor, Network network, int images, Shape work,
            Function<NDManager, NDArray> input) {
        try (NDManager manager = predictors.manager().newSubManager()) {
            NDArray array = input.apply(manager);
            threads.applyFor(work);
            NDList inputs = new NDList(array);
            long start = System.nanoTime();
            NDList result = predictor.predict(inputs);
            List<float[]> outputs = new ArrayList<>(result.size());
            for (NDArray output : result) {
                outputs.add(output.toFloatArray());
            }
            modelCalls.modelCall(network, images, System.nanoTime() - start);
            outputs.forEach(output -> ModelOutputs.requireFinite(output, network.label()));
            return outputs;
        } catch (TranslateException e) {
            throw new GenerationException("the " + network.label() + " failed", e);
        }
    }

    /** CHW floats in [-1, 1] to packed RGB bytes, as diffusers' postprocess: clamp((x + 1) / 2) · 255, rounded. */
    private static byte[] toRgb(float[] pixels, int offset, int planeSize, long seed) {
        byte[] rgb = new byte[planeSize * 3];
        for (int p = 0; p < planeSize; p++) {
            for (int c = 0; c < 3; c++) {
                float v = pixels[offset + c * planeSize + p];
                if (!Float.isFinite(v)) {
                    throw new GenerationException("the VAE decoder produced NaN or infinite pixels (seed " + seed + ")");
                }
                float unit = Math.min(1f, Math.max(0f, v / 2f + 0.5f));
                rgb[p * 3 + c] = (byte) Math.rint(unit * 255f);
            }
        }
        return rgb;
    }

    private static double[] scaled(double[] values, double factor) {
        for (int i = 0; i < values.length; i++) {
            values[i] *= factor;
        }
        return values;
    }

    /**
     * Native arrays held by this pipeline's root manager and the step managers under it: none between steps, since
     * every step's arrays live in a sub-manager that the step closes.
     */
    public int liveArrays() {
        return predictors.manager().getManagedArrays().size();
    }

    @Override
    public void close() {
        predictors.close();
        tokenizers.forEach(ClipTokenizer::close);
    }
}
