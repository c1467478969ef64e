package dev.diffusion.catalog;

import dev.diffusion.model.ModelFolder;
import dev.diffusion.model.ModelIndex;
import dev.diffusion.scheduler.SchedulerConfig;
import dev.diffusion.scheduler.Schedulers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bundled model (the default), the other bundled models, and every model folder under {@code diffusion.models-dir},
 * read once at start.
 */
public class FolderModelCatalog implements ModelCatalog {

    private static final Logger log = LoggerFactory.getLogger(FolderModelCatalog.class);

    /** A UNet halves the latent three times, so latent sides must be multiples of 8. */
    private static final int UNET_MULTIPLE = 8;

    private final Map<String, ModelFolder> folders = new LinkedHashMap<>();
    private final List<ModelInfo> models = new ArrayList<>();

    public FolderModelCatalog(ModelsProperties properties) {
        List<Path> bundled = new ArrayList<>();
        bundled.add(properties.bundledModel());
        bundled.addAll(properties.extraBundledModels());
        for (Path dir : bundled) {
            add(ModelFolder.open(dir));
        }
        try {
            for (Path dir : ModelFolder.findIn(properties.modelsDir())) {
                // a models-dir that holds the bundled folders too serves each once
                if (bundled.stream().noneMatch(b -> sameFolder(b, dir))) {
                    add(ModelFolder.open(dir));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + properties.modelsDir(), e);
        }
    }

    private static boolean sameFolder(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private void add(ModelFolder folder) {
        if (folders.putIfAbsent(folder.name(), folder) != null) {
            throw new IllegalStateException("two models are named " + folder.name());
        }
        List<String> unknown = new SchedulerConfig(folder.schedulerConfig()).unknownKeys();
        if (!unknown.isEmpty()) {
            log.info("Model {}: scheduler_config.json keys that no scheduler reads, ignored: {}", folder.name(),
                    unknown);
        }
        ModelIndex index = folder.index();
        models.add(new ModelInfo(folder.name(), index.sampleSize(), UNET_MULTIPLE * index.vaeScaleFactor(),
                index.vaeScaleFactor(), index.defaultSteps(), index.defaultGuidanceScale(), index.defaultScheduler(),
                folder.hasVaeEncoder(), index.takesGuidanceEmbedding()));
    }

    public List<ModelFolder> folders() {
        return List.copyOf(folders.values());
    }

    @Override
    public List<ModelInfo> models() {
        return List.copyOf(models);
    }

    @Override
    public ModelInfo defaultModel() {
        return models.get(0);
    }

    @Override
    public List<String> schedulers() {
        return SchedulerCatalog.names();
    }
}
