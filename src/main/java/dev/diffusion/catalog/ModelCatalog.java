package dev.diffusion.catalog;

import java.util.List;
import java.util.Optional;

/** The models and schedulers this deployment serves. */
public interface ModelCatalog {

    List<ModelInfo> models();

    /** The model used when a request names none. */
    ModelInfo defaultModel();

    default Optional<ModelInfo> find(String name) {
        return models().stream().filter(model -> model.name().equals(name)).findFirst();
    }

    /** Every scheduler name a request may give. */
    List<String> schedulers();
}
