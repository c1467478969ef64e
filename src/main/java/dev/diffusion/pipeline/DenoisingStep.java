package dev.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import dev.diffusion.model.IntraOpThreads;
import dev.diffusion.model.ModelPredictors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One UNet call over any set of images of the same latent size, each at its own timestep with its own text rows,
 * followed by each image's own guidance and scheduler step. A single job's images and a batch of several jobs'
 * images take the same path. An image whose rows go wrong fails alone, so batch mates of other jobs carry on.
 */
final class DenoisingStep {

    private final ModelPredictors predictors;
    private final ModelCallListener listener;
    private final IntraOpThreads threads;
    private final InputBuffers buffers = new InputBuffers(3);
    /** The images, in row order, whose text rows the context buffer holds from the last call. */
    private List<ImageSampling> contextsHeld = List.of();

    DenoisingStep(ModelPredictors predictors, ModelCallListener listener, IntraOpThreads threads) {
        this.predictors = predictors;
        this.listener = listener;
        this.threads = threads;
    }

    /**
     * Advances every image by one step. Returns the images that failed (their scheduler or rows went wrong), each
     * with its cause; the others advanced. Throws only when the UNet call itself fails, which no single image caused.
     */
    Map<ImageSampling, RuntimeException> run(List<ImageSampling> images) {
        long[] latentShape = images.get(0).latentShape();
        for (ImageSampling image : images) {
            if (!Arrays.equals(image.latentShape(), latentShape)) {
                throw new IllegalArgumentException("images of one UNet call must share a latent shape");
            }
        }
        Map<ImageSampling, RuntimeException> failures = new IdentityHashMap<>();
        List<ImageSampling> called = new ArrayList<>(images.size());
        List<double[]> modelInputs = new ArrayList<>(images.size());
        for (ImageSampling image : images) {
            try {
                modelInputs.add(image.modelInput());
                called.add(image);
            } catch (RuntimeException e) {
                failures.put(image, e);
            }
        }
        if (called.isEmpty()) {
            return failures;
        }
        int rowLength = Math.toIntExact(latentShape[0] * latentShape[1] * latentShape[2]);
        int rows = called.stream().mapToInt(ImageSampling::rows).sum();
        TextConditioning firstText = called.get(0).text();
        int contextLength = firstText.conditional().length;
        float[] samples = new float[rows * rowLength];
        float[] timesteps = new float[rows];
        // a group's text rows change only when a job joins or leaves: otherwise the buffer still holds them
        boolean sameTexts = sameImages(called, contextsHeld);
        float[] contexts = sameTexts ? null : new float[rows * contextLength];
        int row = 0;
        for (int i = 0; i < called.size(); i++) {
            ImageSampling image = called.get(i);
            float t = (float) image.currentTimestep();
            if (image.text().guided()) {
                row = putRow(row, modelInputs.get(i), t, image.text().unconditional(), samples, timesteps, contexts);
            }
            row = putRow(row, modelInputs.get(i), t, image.text().conditional(), samples, timesteps, contexts);
        }
        float[] output;
        // every array of this step lives in a sub-manager closed here, so native memory stays flat across steps
        try (NDManager step = predictors.manager().newSubManager()) {
            Shape sampleShape = new Shape(rows, latentShape[0], latentShape[1], latentShape[2]);
            NDList inputs = new NDList(
                    buffers.floats(step, 0, samples, sampleShape),
                    buffers.floats(step, 1, timesteps, new Shape(rows)),
                    sameTexts
                            ? buffers.again(step, 2, new Shape(rows, firstText.tokens(), firstText.hiddenSize()))
                            : buffers.floats(step, 2, contexts,
                                    new Shape(rows, firstText.tokens(), firstText.hiddenSize())));
            contextsHeld = List.copyOf(called);
            threads.applyFor(sampleShape);
            long start = System.nanoTime();
            output = predictors.unet().predict(inputs).singletonOrThrow().toFloatArray();
            listener.modelCall(ModelCallListener.Network.UNET, called.size(), System.nanoTime() - start);
        } catch (TranslateException e) {
            throw new GenerationException("the UNet failed: " + e.getMessage(), e);
        }
        row = 0;
        for (ImageSampling image : called) {
            int first = row;
            row += image.rows();
            try {
                ModelOutputs.requireFinite(output, first * rowLength, row * rowLength, "UNet");
                image.advance(output, first, rowLength);
            } catch (RuntimeException e) {
                failures.put(image, e);
            }
        }
        return failures;
    }

    private static int putRow(int row, double[] input, float t, float[] context, float[] samples,
            float[] timesteps, float[] contexts) {
        int offset = row * input.length;
        for (int i = 0; i < input.length; i++) {
            samples[offset + i] = (float) input[i];
        }
        timesteps[row] = t;
        if (contexts != null) {
            System.arraycopy(context, 0, contexts, row * context.length, context.length);
        }
        return row + 1;
    }

    private static boolean sameImages(List<ImageSampling> these, List<ImageSampling> those) {
        if (these.size() != those.size()) {
            return false;
        }
        for (int i = 0; i < these.size(); i++) {
            if (these.get(i) != those.get(i)) {
                return false;
            }
        }
        return true;
    }
}
