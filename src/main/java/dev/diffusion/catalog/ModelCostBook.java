package dev.diffusion.catalog;

import java.util.Optional;

/**
 * Where workers leave what each model's calls cost them, for the API to admit jobs by: in this process, or in Redis
 * when API and workers are apart. The last worker to measure a model speaks for it.
 */
public interface ModelCostBook {

    void record(String model, MeasuredCosts costs);

    Optional<MeasuredCosts> find(String model);
}
