package dev.diffusion.model;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * One thread's predictors over a {@link LoadedModel}'s shared weights, and the root manager that the thread's
 * per-step managers hang off. {@code vaeEncoder} is null when the model has none (no img2img).
 */
public record ModelPredictors(
        Predictor<NDList, NDList> textEncoder,
        Predictor<NDList, NDList> unet,
        Predictor<NDList, NDList> vaeDecoder,
        Predictor<NDList, NDList> vaeEncoder,
        NDManager manager) implements AutoCloseable {

    @Override
    public void close() {
        textEncoder.close();
        unet.close();
        vaeDecoder.close();
        if (vaeEncoder != null) {
            vaeEncoder.close();
        }
        manager.close();
    }
}
