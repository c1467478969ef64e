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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

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
    private final List<String> loadNotes;

    private LoadedModel(ModelFolder folder, Device device, ZooModel<NDList, NDList> textEncoder,
            ZooModel<NDList, NDList> textEncoder2, ZooModel<NDList, NDList> unet, ZooModel<NDList, NDList> vaeDecoder,
            ZooModel<NDList, NDList> vaeEncoder, List<String> loadNotes) {
        this.folder = folder;
        this.loadNotes = loadNotes;
        this.device = device;
        this.textEncoder = textEncoder;
        this.textEncoder2 = textEncoder2;
        this.unet = unet;
        this.vaeDecoder = vaeDecoder;
        this.vaeEncoder = vaeEncoder;
        this.weightArrays = managedArrays();
    }

    /** How attention runs: as the archive was exported, or through libtorch's fused kernel ({@link FusedAttention}). */
    public enum Attention { AS_EXPORTED, FUSED }

    public static LoadedModel load(ModelFolder folder, Device device) {
        return load(folder, device, Attention.FUSED);
    }

    public static LoadedModel load(ModelFolder folder, Device device, Attention attention) {
        List<String> notes = new ArrayList<>();
        ZooModel<NDList, NDList> textEncoder = null;
        ZooModel<NDList, NDList> textEncoder2 = null;
        ZooModel<NDList, NDList> unet = null;
        ZooModel<NDList, NDList> vaeDecoder = null;
        try {
            textEncoder = loadPart(folder, ModelFolder.TEXT_ENCODER, device, attention, notes);
            NativeRuntime.applyLibtorchLogLevel();  // libtorch is loaded now, and has made no matrix product yet
            MklCodePath.apply();
            textEncoder2 = folder.hasSecondTextEncoder()
                    ? loadPart(folder, ModelFolder.TEXT_ENCODER_2, device, attention, notes) : null;
            unet = loadPart(folder, ModelFolder.UNET, device, attention, notes);
            vaeDecoder = loadPart(folder, ModelFolder.VAE_DECODER, device, attention, notes);
            ZooModel<NDList, NDList> vaeEncoder =
                    folder.hasVaeEncoder() ? loadPart(folder, ModelFolder.VAE_ENCODER, device, attention, notes) : null;
            return new LoadedModel(folder, device, textEncoder, textEncoder2, unet, vaeDecoder, vaeEncoder,
                    List.copyOf(notes));
        } catch (RuntimeException e) {
            closeAll(textEncoder, textEncoder2, unet, vaeDecoder);
            throw e;
        }
    }

    private static ZooModel<NDList, NDList> loadPart(ModelFolder folder, String part, Device device,
            Attention attention, List<String> notes) {
        Path file = ModelFolder.partFile(folder.dir(), part);
        if (attention == Attention.FUSED) {
            Path copy = null;
            try {
                copy = Files.createTempDirectory("diffusion-" + part + "-");
                int blocks = FusedAttention.rewriteArchive(file, copy.resolve(file.getFileName()));
                if (blocks > 0) {
                    ZooModel<NDList, NDList> model = loadFile(copy.resolve(file.getFileName()), device);
                    notes.add(part + ": " + blocks + (blocks == 1 ? " attention block" : " attention blocks")
                            + " fused");
                    return model;
                }
            } catch (IOException | RuntimeException e) {
                // a form the rewrite got wrong must not cost the model: it runs as exported, only slower
                notes.add(part + ": attention left as exported, the fused copy failed (" + e.getMessage() + ")");
            } finally {
                deleteQuietly(copy);
            }
        }
        return loadFile(file, device);
    }

    private static ZooModel<NDList, NDList> loadFile(Path file, Device device) {
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

    /** libtorch has read the copy once loaded: the copy is only in the way then. */
    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            dir.toFile().deleteOnExit();
        }
    }

    /** What loading did beyond reading the files, e.g. how many attention blocks it fused, for the log. */
    public List<String> loadNotes() {
        return loadNotes;
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
