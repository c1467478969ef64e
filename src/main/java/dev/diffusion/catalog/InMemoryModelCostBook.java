package dev.diffusion.catalog;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The costs the workers of this process measured. */
public class InMemoryModelCostBook implements ModelCostBook {

    private final Map<String, MeasuredCosts> costs = new ConcurrentHashMap<>();

    @Override
    public void record(String model, MeasuredCosts measured) {
        costs.put(model, measured);
    }

    @Override
    public Optional<MeasuredCosts> find(String model) {
        return Optional.ofNullable(costs.get(model));
    }
}
