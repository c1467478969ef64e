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
import dev.diffusion.pipeline.ModelCallListener.Network;
import dev.diffusion.scheduler.Scheduler;
import dev.diffusion.scheduler.SchedulerConfig;
import dev.diffusion.scheduler.Schedulers;
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
    private final ClipTokenizer tokenizer;
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
        this.tokenizer = new ClipTokenizer(model.folder().tokenizerFile(), index.maxTextLength(), index.padTokenId());
        this.predictors = model.newPredictors();
        this.denoisingStep = new DenoisingStep(predictors, modelCalls, threads);
        this.modelCalls = modelCalls;
        this.threads = threads;
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
        TextConditioning text = encodeText(request);
        double[] encodedInit = request.imageToImage() ? encodeImage(request) : null;
        List<ImageSampling> images = new ArrayList<>(request.numImages());
        for (int i = 0; i < request.numImages(); i++) {
            long seed = request.seed() + i;
            TorchRandom random = new TorchRandom(seed);
            Scheduler scheduler = Schedulers.create(request.scheduler(), schedulerConfig, request.eta());
            scheduler.setTimesteps(request.steps());
            double[] timesteps = scheduler.timesteps();
            double[] start;
            if (encodedInit == null) {
                start = scaled(random.nextGaussian(latentLength), scheduler.initNoiseSigma());
            } else {
                // diffusers' img2img: skip the first (1 - strength) of the schedule and noise the image to that level
                int skip = (request.steps() - Math.min((int) (request.steps() * request.strength()), request.steps()))
                        * scheduler.order();
                timesteps = Arrays.copyOfRange(timesteps, skip, timesteps.length);
                if (timesteps.length == 0) {
                    throw new IllegalArgumentException("strength " + request.strength() + " with " + request.steps()
                            + " steps leaves no step to run; raise strength or steps");
                }
                scheduler.setBeginIndex(skip);
                start = scheduler.addNoise(encodedInit, random.nextGaussian(latentLength), timesteps[0]);
            }
            images.add(new ImageSampling(i, seed, scheduler, random::nextGaussian, timesteps, shape, start, text,
                    request.guidanceScale(), request.guidanceRescale()));
        }
        return images;
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

    private TextConditioning encodeText(GenerationRequest request) {
        List<String> texts = request.guided()
                ? List.of(request.negativePrompt(), request.prompt())
                : List.of(request.prompt());
        int tokens = index.maxTextLength();
        long[] ids = new long[texts.size() * tokens];
        for (int i = 0; i < texts.size(); i++) {
            System.arraycopy(tokenizer.encode(texts.get(i)), 0, ids, i * tokens, tokens);
        }
        Shape idsShape = new Shape(texts.size(), tokens);
        float[] hidden = predict(predictors.textEncoder(), Network.TEXT_ENCODER, request.numImages(), idsShape,
                manager -> manager.create(ids, idsShape));
        int rowLength = hidden.length / texts.size();
        float[] conditional = Arrays.copyOfRange(hidden, (texts.size() - 1) * rowLength, texts.size() * rowLength);
        float[] unconditional = request.guided() ? Arrays.copyOfRange(hidden, 0, rowLength) : null;
        return new TextConditioning(conditional, unconditional, tokens, rowLength / tokens);
    }

    /** The init image's latents: VAE encoder mean times the scaling factor, as diffusers' img2img. */
    private double[] encodeImage(GenerationRequest request) {
        if (predictors.vaeEncoder() == null) {
            throw new IllegalArgumentException("this model has no VAE encoder, so it cannot do img2img");
        }
        int planeSize = request.width() * request.height();
        byte[] rgb = request.initImage();
        float[] chw = new float[3 * planeSize];
        for (int p = 0; p < planeSize; p++) {
            for (int c = 0; c < 3; c++) {
                chw[c * planeSize + p] = (rgb[p * 3 + c] & 0xff) / 255f * 2f - 1f;
            }
        }
        // the encoder's work is the decoder's for the same picture: counted by the latent it makes
        long[] latent = latentShape(request.width(), request.height());
        Shape work = new Shape(1, latent[0], latent[1], latent[2]);
        float[] mean = predict(predictors.vaeEncoder(), Network.VAE_ENCODER, 1, work,
                manager -> manager.create(chw, new Shape(1, 3, request.height(), request.width())));
        double[] latents = new double[mean.length];
        for (int i = 0; i < mean.length; i++) {
            latents[i] = mean[i] * index.scalingFactor();
        }
        return latents;
    }

    /** One call of a network; {@code work} is the input shape its threads are chosen by ({@link IntraOpThreads}). */
    private float[] predict(Predictor<NDList, NDList> predictor, Network network, int images, Shape work,
            Function<NDManager, NDArray> input) {
        try (NDManager manager = predictors.manager().newSubManager()) {
            NDArray array = input.apply(manager);
            threads.applyFor(work);
            NDList inputs = new NDList(array);
            long start = System.nanoTime();
            float[] output = predictor.predict(inputs).singletonOrThrow().toFloatArray();
            modelCalls.modelCall(network, images, System.nanoTime() - start);
            return ModelOutputs.requireFinite(output, network.label());
        } catch (TranslateException e) {
            throw new GenerationException("the " + network.label() + " failed: " + e.getMessage(), e);
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
        tokenizer.close();
    }
}
