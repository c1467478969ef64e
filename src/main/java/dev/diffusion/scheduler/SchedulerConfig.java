package dev.diffusion.scheduler;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A diffusers {@code scheduler_config.json}, as parsed JSON values. Each scheduler reads the keys it knows with
 * diffusers' default for its own class, so a config may leave any key out; a JSON {@code null} counts as absent.
 */
public record SchedulerConfig(Map<String, Object> values) {

    public SchedulerConfig {
        values = Map.copyOf(withoutNulls(values));
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
