package dev.diffusion;

import java.util.Locale;

/**
 * What one instance does ({@code diffusion.role}): {@code all} takes requests and runs models; with a shared Redis
 * queue, {@code api} instances only take requests and {@code worker} instances only run models (they still serve
 * health and metrics), so that each side scales on its own.
 */
public enum ServiceRole {
    ALL, API, WORKER;

    public static final String PROPERTY = "diffusion.role";

    public static ServiceRole parse(String value) {
        try {
            return value == null || value.isBlank() ? ALL : valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + " must be all, api or worker, not '" + value + "'", e);
        }
    }

    public boolean servesApi() {
        return this != WORKER;
    }

    public boolean runsWorkers() {
        return this != API;
    }
}
