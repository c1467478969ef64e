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
 * One UNet call over any set of images of the same latent size, each at its own timestep with its own text rows
 * (and extra inputs), followed by each image's own guidance and scheduler step. A single job's images and a batch of
 * several jobs' images take the same path. An image whose rows go wrong fails alone, so batch mates of other jobs
 * carry on.
 */
final class DenoisingStep {

    /** Input slots: latents, timesteps, then the context and after it the extra inputs. */
    private static final int CONTEXT_SLOT = 2;

    private final ModelPredictors predictors;
    private final ModelCallListener listener;
    private final IntraOpThreads threads;
    private final InputBuffers buffers;
    /** The images, in row order, whose rows the context and extra-input buffers hold from the last call. */
    private List<ImageSampling> rowsHeld = List.of();

    /** {@code extraInputs}: how many inputs the UNet takes after (sample, timestep, context). */
    DenoisingStep(ModelPredictors predictors, ModelCallListener listener, IntraOpThreads threads, int extraInputs) {
        this.predictors = predictors;
        this.listener = listener;
        this.threads = threads;
        this.buffers = new InputBuffers(CONTEXT_SLOT + 1 + extraInputs);
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
        // an inpainting UNet takes more channels than it gives: the mask and the masked image's latents
        int inputLength = modelInputs.get(0).length;
        for (double[] input : modelInputs) {
            if (input.length != inputLength) {
                throw new IllegalArgumentException("images of one UNet call must give it inputs of one size");
            }
        }
        int planeSize = Math.toIntExact(latentShape[1] * latentShape[2]);
        int rows = called.stream().mapToInt(ImageSampling::rows).sum();
        Conditioning layout = called.get(0).conditioning();
        float[] samples = new float[rows * inputLength];
        float[] timesteps = new float[rows];
        // a group's text rows change only when a job joins or leaves: otherwise the buffers still hold them
        boolean sameRows = sameImages(called, rowsHeld);
        RowBlocks blocks = sameRows ? null : new RowBlocks(layout, rows);
        int row = 0;
        for (int i = 0; i < called.size(); i++) {
            ImageSampling image = called.get(i);
            float t = (float) image.currentTimestep();
            if (image.conditioning().guided()) {
                row = putRow(row, modelInputs.get(i), t, image.conditioning().unconditional(), samples, timesteps,
                        blocks);
            }
            row = putRow(row, modelInputs.get(i), t, image.conditioning().conditional(), samples, timesteps, blocks);
        }
        float[] output;
        // every array of this step lives in a sub-manager closed here, so native memory stays flat across steps
        try (NDManager step = predictors.manager().newSubManager()) {
            Shape sampleShape = new Shape(rows, inputLength / planeSize, latentShape[1], latentShape[2]);
            NDList inputs = new NDList(
                    buffers.floats(step, 0, samples, sampleShape),
                    buffers.floats(step, 1, timesteps, new Shape(rows)));
            List<Shape> rowShapes = new ArrayList<>();
            rowShapes.add(new Shape(rows, layout.tokens(), layout.hiddenSize()));
            for (float[] extra : layout.conditional().extras()) {
                rowShapes.add(new Shape(rows, extra.length));
            }
            for (int k = 0; k < rowShapes.size(); k++) {
                int slot = CONTEXT_SLOT + k;
                inputs.add(sameRows ? buffers.again(step, slot, rowShapes.get(k))
                        : buffers.floats(step, slot, blocks.values[k], rowShapes.get(k)));
            }
            rowsHeld = List.copyOf(called);
            threads.applyFor(sampleShape);
            long start = System.nanoTime();
            output = predictors.unet().predict(inputs).singletonOrThrow().toFloatArray();
            listener.modelCall(ModelCallListener.Network.UNET, called.size(), System.nanoTime() - start);
        } catch (TranslateException e) {
            throw new GenerationException("the UNet failed", e);
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

    private static int putRow(int row, double[] input, float t, Conditioning.Row conditioning, float[] samples,
            float[] timesteps, RowBlocks blocks) {
        int offset = row * input.length;
        for (int i = 0; i < input.length; i++) {
            samples[offset + i] = (float) input[i];
        }
        timesteps[row] = t;
        if (blocks != null) {
            blocks.put(row, conditioning);
        }
        return row + 1;
    }

    /** The context and each extra input of a call, one block of rows each, filled row by row. */
    private static final class RowBlocks {

        final float[][] values;

        RowBlocks(Conditioning first, int rows) {
            values = new float[1 + first.extraCount()][];
            values[0] = new float[rows * first.conditional().context().length];
            for (int k = 0; k < first.extraCount(); k++) {
                values[1 + k] = new float[rows * first.conditional().extras().get(k).length];
            }
        }

        void put(int row, Conditioning.Row conditioning) {
            put(0, row, conditioning.context());
            for (int k = 0; k < conditioning.extras().size(); k++) {
                put(1 + k, row, conditioning.extras().get(k));
            }
        }

        private void put(int block, int row, float[] rowValues) {
            System.arraycopy(rowValues, 0, values[block], row * rowValues.length, rowValues.length);
        }
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
