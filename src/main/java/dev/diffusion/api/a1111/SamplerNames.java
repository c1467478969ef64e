package dev.diffusion.api.a1111;

import dev.diffusion.catalog.SchedulerCatalog;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * AUTOMATIC1111's sampler and schedule type names over this service's scheduler names. A1111 splits a sampler
 * ("DPM++ 2M") from its schedule type ("Karras"); since 1.9 the sampler's "Automatic" schedule is its own default
 * (Karras for DPM++ 2M), and the older combined names ("DPM++ 2M Karras") still work. Here a plain name such as
 * {@code dpmpp_2m} spaces the model's own timesteps as its {@code scheduler_config.json} says, which diffusers equates
 * with A1111's sampler without Karras; A1111's other schedules that space the model's own timesteps (Normal, Simple,
 * SGM Uniform, DDIM) are taken as Uniform, and the ones with a sigma formula of their own (Exponential, Beta, ...)
 * are refused.
 */
final class SamplerNames {

    static final String AUTOMATIC = "automatic";
    static final String UNIFORM = "uniform";
    static final String KARRAS = "karras";
    private static final String KARRAS_SUFFIX = "_karras";

    /** A1111's schedule types (name, label) that this service runs as Uniform. */
    private static final Map<String, String> LIKE_UNIFORM = Map.of(UNIFORM, "Uniform", "normal", "Normal",
            "simple", "Simple", "sgm_uniform", "SGM Uniform", "ddim", "DDIM");
    /** A1111's schedule types with a sigma formula this service does not have. */
    private static final Map<String, String> NOT_HERE = Map.of("exponential", "Exponential",
            "polyexponential", "Polyexponential", "kl_optimal", "KL Optimal", "align_your_steps", "Align Your Steps",
            "beta", "Beta", "karras_exponential", "Karras Exponential");
    /** A1111's own aliases of its samplers ({@code sd_samplers_kdiffusion}, {@code sd_samplers_timesteps}). */
    private static final Map<String, List<String>> A1111_ALIASES = Map.of("lms", List.of("k_lms"),
            "euler", List.of("k_euler"), "euler_ancestral", List.of("k_euler_a", "k_euler_ancestral"),
            "heun", List.of("k_heun"), "dpmpp_2m", List.of("k_dpmpp_2m"), "dpmpp_2m_sde", List.of("k_dpmpp_2m_sde"),
            "ddim", List.of("ddim"), "pndm", List.of("plms"), "unipc", List.of("unipc"), "lcm", List.of("k_lcm"));
    /** The samplers whose Automatic schedule is Karras in A1111 (its option {@code scheduler: karras}). */
    private static final Set<String> KARRAS_BY_DEFAULT = Set.of("dpmpp_2m");

    /** A sampler as {@code GET /sdapi/v1/samplers} lists it. */
    public record Sampler(String name, List<String> aliases, Map<String, String> options) {
    }

    /** A schedule type as {@code GET /sdapi/v1/schedulers} lists it. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ScheduleType(String name, String label, List<String> aliases, double defaultRho,
            boolean needInnerModel) {
    }

    private final List<String> schedulers;

    /** @param schedulers every scheduler name a request may give */
    SamplerNames(List<String> schedulers) {
        this.schedulers = List.copyOf(schedulers);
    }

    /** One entry per algorithm, named as A1111 names it, with A1111's aliases and this service's own name. */
    List<Sampler> samplers() {
        List<Sampler> samplers = new ArrayList<>();
        for (String base : bases()) {
            List<String> aliases = new ArrayList<>(A1111_ALIASES.getOrDefault(base, List.of()));
            if (!aliases.contains(base)) {
                aliases.add(base);
            }
            samplers.add(new Sampler(SchedulerCatalog.a1111Label(base), aliases,
                    automaticIsKarras(base) ? Map.of("scheduler", KARRAS) : Map.of()));
        }
        return samplers;
    }

    static List<ScheduleType> scheduleTypes() {
        return List.of(new ScheduleType(AUTOMATIC, "Automatic", List.of(), -1, false),
                new ScheduleType(UNIFORM, "Uniform", List.of("Normal", "Simple", "SGM Uniform", "DDIM"), -1, true),
                new ScheduleType(KARRAS, "Karras", List.of(), 7.0, false));
    }

    /** A1111's name of the sampler of a scheduler name, without its schedule: "DPM++ 2M" for dpmpp_2m_karras. */
    static String samplerLabel(String scheduler) {
        return SchedulerCatalog.a1111Label(base(scheduler));
    }

    /** A1111's label of the schedule type a scheduler name runs: Karras or Uniform. */
    static String scheduleLabel(String scheduler) {
        return scheduler.endsWith(KARRAS_SUFFIX) ? "Karras" : "Uniform";
    }

    /**
     * This service's scheduler name for an A1111 sampler and schedule type.
     *
     * @param sampler  A1111's label ("DPM++ 2M"), an alias ("k_dpmpp_2m"), a combined name ("DPM++ 2M Karras") or this
     *                 service's name ("dpmpp_2m"), in any case
     * @param schedule A1111's schedule type by name or label; null or blank: Automatic
     * @return the name, or empty when there is no such sampler
     * @throws IllegalArgumentException when the sampler has no such schedule here, saying which it has
     */
    Optional<String> resolve(String sampler, String schedule) {
        String name = sampler.strip();
        String requestedSchedule = schedule == null || schedule.isBlank() ? null : schedule.strip();
        String exact = name.toLowerCase(Locale.ROOT);
        if (schedulers.contains(exact)) {
            // this service's own name means exactly that scheduler, unless a schedule type is named
            if (requestedSchedule == null || scheduleName(requestedSchedule).equals(AUTOMATIC)) {
                return Optional.of(exact);
            }
            name = base(exact);
        }
        String suffix = combinedSuffix(name);
        if (suffix != null) {
            requestedSchedule = suffix;
            name = name.substring(0, name.length() - suffix.length() - 1).strip();
        }
        String wanted = name;
        Optional<String> base = bases().stream().filter(b -> matches(b, wanted)).findFirst();
        if (base.isEmpty()) {
            return Optional.empty();
        }
        String type = requestedSchedule == null ? AUTOMATIC : scheduleName(requestedSchedule);
        String shown = requestedSchedule;
        return Optional.of(withSchedule(base.get(), type).orElseThrow(() -> noSuchSchedule(base.get(), shown)));
    }

    /** Every name a sampler may be given by, for messages. */
    List<String> samplerNames() {
        return samplers().stream().map(Sampler::name).toList();
    }

    private Optional<String> withSchedule(String base, String scheduleType) {
        String name;
        if (scheduleType.equals(KARRAS) || scheduleType.equals(AUTOMATIC) && automaticIsKarras(base)) {
            name = base + KARRAS_SUFFIX;
        } else if (scheduleType.equals(AUTOMATIC) || LIKE_UNIFORM.containsKey(scheduleType)) {
            name = base;
        } else {
            return Optional.empty();
        }
        return schedulers.contains(name) ? Optional.of(name) : Optional.empty();
    }

    private IllegalArgumentException noSuchSchedule(String scheduler, String schedule) {
        String base = base(scheduler);
        String offered = schedulers.contains(base + KARRAS_SUFFIX) ? "Automatic, Uniform or Karras"
                : "Automatic or Uniform";
        return new IllegalArgumentException("schedule type '" + schedule + "' is not available for "
                + SchedulerCatalog.a1111Label(base) + " here; " + offered + " (see GET /sdapi/v1/schedulers)");
    }

    private boolean automaticIsKarras(String base) {
        return KARRAS_BY_DEFAULT.contains(base) && schedulers.contains(base + KARRAS_SUFFIX);
    }

    private List<String> bases() {
        return schedulers.stream().filter(name -> !name.endsWith(KARRAS_SUFFIX)).toList();
    }

    private static boolean matches(String base, String name) {
        return SchedulerCatalog.a1111Label(base).equalsIgnoreCase(name) || base.equalsIgnoreCase(name)
                || A1111_ALIASES.getOrDefault(base, List.of()).stream().anyMatch(name::equalsIgnoreCase);
    }

    private static String base(String scheduler) {
        return scheduler.endsWith(KARRAS_SUFFIX)
                ? scheduler.substring(0, scheduler.length() - KARRAS_SUFFIX.length()) : scheduler;
    }

    /** A schedule type's name from its name or label in any case; unknown ones are kept, to be refused. */
    private static String scheduleName(String schedule) {
        if (schedule.equalsIgnoreCase(AUTOMATIC) || schedule.equalsIgnoreCase(KARRAS)) {
            return schedule.toLowerCase(Locale.ROOT);
        }
        for (Map<String, String> known : List.of(LIKE_UNIFORM, NOT_HERE)) {
            for (Map.Entry<String, String> type : known.entrySet()) {
                if (type.getKey().equalsIgnoreCase(schedule) || type.getValue().equalsIgnoreCase(schedule)) {
                    return type.getKey();
                }
            }
        }
        return schedule;
    }

    /** The schedule type's label ending a combined name such as "DPM++ 2M Karras", or null; the longest wins. */
    private static String combinedSuffix(String sampler) {
        List<String> labels = new ArrayList<>(List.of("Automatic", "Karras"));
        labels.addAll(LIKE_UNIFORM.values());
        labels.addAll(NOT_HERE.values());
        labels.sort(Comparator.comparingInt(String::length).reversed());
        for (String label : labels) {
            int start = sampler.length() - label.length() - 1;
            if (start > 0 && sampler.regionMatches(true, start, " " + label, 0, label.length() + 1)) {
                return sampler.substring(start + 1);
            }
        }
        return null;
    }
}
