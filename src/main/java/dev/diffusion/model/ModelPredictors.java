package dev.diffusion.model;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * One thread's predictors over a {@link LoadedModel}'s shared weights, and the root manager that the thread's
 * per-step managers hang off. {@code textEncoders} holds one predictor, or two for a model with a second text
 * encoder (SDXL); {@code vaeEncoder} is null when the model has none (no img2img).
 */
public record ModelPredictors(
        List<Predictor<NDList, NDList>> textEncoders,
        Predictor<NDList, NDList> unet,
        Predictor<NDList, NDList> vaeDecoder,
        Predictor<NDList, NDList> vaeEncoder,
        NDManager manager) implements AutoCloseable {

    public ModelPredictors {
        textEncoders = List.copyOf(textEncoders);
    }

    @Override
    public void close() {
        textEncoders.forEach(Predictor::close);
        unet.close();
        vaeDecoder.close();
        if (vaeEncoder != null) {
            vaeEncoder.close();
        }
        manager.close();
    }
}
