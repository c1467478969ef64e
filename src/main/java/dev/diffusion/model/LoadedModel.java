package dev.diffusion.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model folder's TorchScript networks loaded on one device through DJL's PyTorch engine. The weights are loaded
 * once; each worker thread takes its own {@link ModelPredictors} from it, as djl-serving does.
 */
public final class LoadedModel implements AutoCloseable {

    static {
        DjlSettings.applyDefaults();
    }

    private final ModelFolder folder;
    private final Device device;
    private final ZooModel<NDList, NDList> textEncoder;
    private final ZooModel<NDList, NDList> textEncoder2;
    private final ZooModel<NDList, NDList> unet;
    private final ZooModel<NDList, NDList> vaeDecoder;
    private final ZooModel<NDList, NDList> vaeEncoder;
    /** The arrays the networks hold once loaded: their weights (DJL attaches each to its model's manager). */
    private final int weightArrays;

    private LoadedModel(ModelFolder folder, Device device, ZooModel<NDList, NDList> textEncoder,
            ZooModel<NDList, NDList> textEncoder2, ZooModel<NDList, NDList> unet, ZooModel<NDList, NDList> vaeDecoder,
            ZooModel<NDList, NDList> vaeEncoder) {
        this.folder = folder;
        this.device = device;
        this.textEncoder = textEncoder;
        this.textEncoder2 = textEncoder2;
        this.unet = unet;
        this.vaeDecoder = vaeDecoder;
        this.vaeEncoder = vaeEncoder;
        this.weightArrays = managedArrays();
    }

    public static LoadedModel load(ModelFolder folder, Device device) {
        ZooModel<NDList, NDList> textEncoder = null;
        ZooModel<NDList, NDList> textEncoder2 = null;
        ZooModel<NDList, NDList> unet = null;
        ZooModel<NDList, NDList> vaeDecoder = null;
        try {
            textEncoder = loadPart(folder, ModelFolder.TEXT_ENCODER, device);
            textEncoder2 = folder.hasSecondTextEncoder() ? loadPart(folder, ModelFolder.TEXT_ENCODER_2, device) : null;
            unet = loadPart(folder, ModelFolder.UNET, device);
            vaeDecoder = loadPart(folder, ModelFolder.VAE_DECODER, device);
            ZooModel<NDList, NDList> vaeEncoder =
                    folder.hasVaeEncoder() ? loadPart(folder, ModelFolder.VAE_ENCODER, device) : null;
            return new LoadedModel(folder, device, textEncoder, textEncoder2, unet, vaeDecoder, vaeEncoder);
        } catch (RuntimeException e) {
            closeAll(textEncoder, textEncoder2, unet, vaeDecoder);
            throw e;
        }
    }

    private static ZooModel<NDList, NDList> loadPart(ModelFolder folder, String part, Device device) {
        Path file = ModelFolder.partFile(folder.dir(), part);
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(file.getParent())
                .optModelName("model")
                .optEngine("PyTorch")
                .optDevice(device)
                .optOption("mapLocation", "true")
                .optTranslator(new NoopTranslator())
                .build();
        try {
            return criteria.loadModel();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new IllegalArgumentException("cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    public ModelFolder folder() {
        return folder;
    }

    public Device device() {
        return device;
    }

    /** A fresh set of predictors for one thread; the caller closes it. */
    public ModelPredictors newPredictors() {
        List<Predictor<NDList, NDList>> textEncoders = new ArrayList<>();
        textEncoders.add(textEncoder.newPredictor());
        if (textEncoder2 != null) {
            textEncoders.add(textEncoder2.newPredictor());
        }
        return new ModelPredictors(textEncoders, unet.newPredictor(), vaeDecoder.newPredictor(),
                vaeEncoder == null ? null : vaeEncoder.newPredictor(), NDManager.newBaseManager(device, "PyTorch"));
    }

    /**
     * Native arrays attached to the networks' managers (their predictors' managers included) besides the weights they
     * were loaded with: none once the predictions that made them have been read, or native memory would grow with
     * every generation.
     */
    public int liveArrays() {
        return managedArrays() - weightArrays;
    }

    private int managedArrays() {
        int count = 0;
        for (ZooModel<NDList, NDList> model : Arrays.asList(textEncoder, textEncoder2, unet, vaeDecoder, vaeEncoder)) {
            if (model != null) {
                count += model.getNDManager().getManagedArrays().size();
            }
        }
        return count;
    }

    @Override
    public void close() {
        closeAll(textEncoder, textEncoder2, unet, vaeDecoder, vaeEncoder);
    }

    @SafeVarargs
    private static void closeAll(ZooModel<NDList, NDList>... models) {
        for (ZooModel<NDList, NDList> model : models) {
            if (model != null) {
                model.close();
            }
        }
    }
}
