package dev.diffusion.scheduler;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A diffusers {@code scheduler_config.json}, as parsed JSON values. Each scheduler reads the keys it knows with
 * diffusers' default for its own class, so a config may leave any key out; a JSON {@code null} counts as absent, and
 * so does every key that {@code _use_default_values} lists: diffusers records there the keys a checkpoint's file did
 * not have, filled in with the defaults of the class that loaded it, and its {@code from_config} drops them so that
 * every scheduler class takes its own defaults (Euler's linspace timesteps, not PNDM's leading ones).
 */
public record SchedulerConfig(Map<String, Object> values) {

    /**
     * Every key a scheduler here reads: diffusers' keys of the classes it implements. Others are ignored, as
     * diffusers' {@code from_config} ignores the keys a class does not take.
     */
    private static final Set<String> KNOWN_KEYS = Set.of(
            "num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas", "prediction_type",
            "timestep_spacing", "steps_offset", "rescale_betas_zero_snr", "variance_type", "clip_sample",
            "clip_sample_range", "thresholding", "dynamic_thresholding_ratio", "sample_max_value", "set_alpha_to_one",
            "skip_prk_steps", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "use_flow_sigmas",
            "use_dynamic_shifting", "use_lu_lambdas", "interpolation_type", "sigma_min", "sigma_max", "timestep_type",
            "final_sigmas_type", "shift_terminal", "solver_order", "algorithm_type", "solver_type",
            "lower_order_final", "euler_at_final", "lambda_min_clipped", "predict_x0", "disable_corrector",
            "solver_p");
    private static final String USE_DEFAULT_VALUES = "_use_default_values";

    public SchedulerConfig {
        values = Map.copyOf(withoutNulls(withoutDefaultedKeys(values)));
    }

    public static SchedulerConfig empty() {
        return new SchedulerConfig(Map.of());
    }

    /** A copy with one key set, e.g. {@code use_karras_sigmas} for the {@code *_karras} names. */
    public SchedulerConfig with(String key, Object value) {
        Map<String, Object> copy = new HashMap<>(values);
        copy.put(key, value);
        return new SchedulerConfig(copy);
    }

    /** The keys no scheduler here reads (diffusers' private {@code _} keys aside), sorted. */
    public List<String> unknownKeys() {
        return values.keySet().stream().filter(k -> !k.startsWith("_") && !KNOWN_KEYS.contains(k)).sorted().toList();
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public double number(String key, double defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw invalid(key, v, "a number");
    }

    public int integer(String key, int defaultValue) {
        double v = number(key, defaultValue);
        if (v != Math.rint(v)) {
            throw invalid(key, v, "a whole number");
        }
        return (int) v;
    }

    /** A number that may be absent (diffusers' {@code None}), e.g. {@code sigma_min}. */
    public Double optionalNumber(String key) {
        return has(key) ? number(key, 0) : null;
    }

    public boolean bool(String key, boolean defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw invalid(key, v, "true or false");
    }

    public String string(String key, String defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof String s) {
            return s;
        }
        throw invalid(key, v, "a string");
    }

    /** A list of numbers, e.g. {@code trained_betas}; null when absent. */
    public double[] numbers(String key) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> list) {
            double[] out = new double[list.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(list.get(i) instanceof Number n)) {
                    throw invalid(key, v, "a list of numbers");
                }
                out[i] = n.doubleValue();
            }
            return out;
        }
        if (v instanceof double[] array) {
            return array.clone();
        }
        throw invalid(key, v, "a list of numbers");
    }

    private static IllegalArgumentException invalid(String key, Object value, String expected) {
        return new IllegalArgumentException("scheduler config '" + key + "' must be " + expected + ", not " + value);
    }

    private static Map<String, Object> withoutDefaultedKeys(Map<String, Object> values) {
        Object defaulted = values.get(USE_DEFAULT_VALUES);
        if (defaulted == null) {
            return values;
        }
        if (!(defaulted instanceof List<?> keys)) {
            throw invalid(USE_DEFAULT_VALUES, defaulted, "a list of keys");
        }
        Map<String, Object> copy = new HashMap<>(values);
        keys.forEach(copy::remove);
        copy.remove(USE_DEFAULT_VALUES);
        return copy;
    }

    private static Map<String, Object> withoutNulls(Map<String, Object> values) {
        Map<String, Object> copy = new HashMap<>();
        values.forEach((k, v) -> {
            if (v != null) {
                copy.put(k, v);
            }
        });
        return copy;
    }
}
