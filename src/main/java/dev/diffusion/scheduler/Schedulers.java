package dev.diffusion.scheduler;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The service's scheduler names, each mapped to a diffusers algorithm configured from the model's
 * {@code scheduler_config.json} the way diffusers' {@code XScheduler.from_config(pipe.scheduler.config)} does: every
 * class reads the keys it knows and takes its own defaults for the rest. {@code <name>_karras} turns Karras sigmas on
 * (and any other sigma spacing off); the plain name turns them off, so that a name means the same spacing whatever
 * the model's config says. A request's eta is DDIM's eta and TCD's gamma (diffusers' pipelines pass their
 * {@code eta} to any scheduler whose {@code step} takes one); the other schedulers ignore it.
 */
public final class Schedulers {

    @FunctionalInterface
    private interface Factory {
        Scheduler create(SchedulerConfig config, double eta);
    }

    private static final Map<String, Factory> BY_NAME = byName();

    private static final Map<String, Factory> BY_DIFFUSERS_CLASS = Map.ofEntries(
            Map.entry("DDPMScheduler", ignoringEta(DdpmScheduler::new)),
            Map.entry("DDIMScheduler", DdimScheduler::new),
            Map.entry("PNDMScheduler", ignoringEta(PndmScheduler::new)),
            Map.entry("LMSDiscreteScheduler", ignoringEta(LmsScheduler::new)),
            Map.entry("EulerDiscreteScheduler", ignoringEta(EulerScheduler::new)),
            Map.entry("EulerAncestralDiscreteScheduler", ignoringEta(EulerAncestralScheduler::new)),
            Map.entry("HeunDiscreteScheduler", ignoringEta(HeunScheduler::new)),
            Map.entry("DPMSolverMultistepScheduler", ignoringEta(DpmSolverMultistepScheduler::new)),
            Map.entry("UniPCMultistepScheduler", ignoringEta(UniPcMultistepScheduler::new)),
            Map.entry("LCMScheduler", ignoringEta(LcmScheduler::new)),
            Map.entry("TCDScheduler", TcdScheduler::new));

    private Schedulers() {
    }

    private static Map<String, Factory> byName() {
        Map<String, Factory> names = new TreeMap<>();
        names.put("ddpm", ignoringEta(DdpmScheduler::new));
        names.put("ddim", DdimScheduler::new);
        names.put("pndm", ignoringEta(PndmScheduler::new));
        names.put("euler_ancestral", ignoringEta(EulerAncestralScheduler::new));
        names.put("lcm", ignoringEta(LcmScheduler::new));
        names.put("tcd", TcdScheduler::new);
        putWithKarras(names, "lms", LmsScheduler::new);
        putWithKarras(names, "euler", EulerScheduler::new);
        putWithKarras(names, "heun", HeunScheduler::new);
        putWithKarras(names, "dpmpp_2m", config -> new DpmSolverMultistepScheduler(
                config.with("algorithm_type", "dpmsolver++").with("solver_order", 2)));
        putWithKarras(names, "dpmpp_2m_sde", config -> new DpmSolverMultistepScheduler(
                config.with("algorithm_type", "sde-dpmsolver++").with("solver_order", 2)));
        putWithKarras(names, "unipc", UniPcMultistepScheduler::new);
        return names;
    }

    private static void putWithKarras(Map<String, Factory> names, String name,
            Function<SchedulerConfig, Scheduler> create) {
        names.put(name, ignoringEta(config -> create.apply(config.with("use_karras_sigmas", false))));
        names.put(name + "_karras", ignoringEta(config -> create.apply(config.with("use_karras_sigmas", true)
                .with("use_exponential_sigmas", false).with("use_beta_sigmas", false))));
    }

    private static Factory ignoringEta(Function<SchedulerConfig, Scheduler> create) {
        return (config, eta) -> create.apply(config);
    }

    /** Every name the service accepts, sorted. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /**
     * A new scheduler (state for one image's run) of the named algorithm, configured from the model's config.
     *
     * @throws IllegalArgumentException for an unknown name, or a config value the algorithm does not support
     */
    public static Scheduler create(String name, SchedulerConfig modelConfig, double eta) {
        Factory factory = BY_NAME.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown scheduler '" + name + "' (one of " + names() + ")");
        }
        return factory.create(modelConfig, eta);
    }

    /**
     * A new scheduler of a diffusers class (e.g. {@code EulerDiscreteScheduler}) with its config taken as it is, as
     * a {@code scheduler_config.json}'s {@code _class_name} names it.
     *
     * @throws IllegalArgumentException for a class without an implementation here
     */
    public static Scheduler forDiffusersClass(String className, SchedulerConfig config, double eta) {
        Factory factory = BY_DIFFUSERS_CLASS.get(className);
        if (factory == null) {
            throw new IllegalArgumentException("no scheduler implements diffusers' " + className + " (one of "
                    + new TreeMap<>(BY_DIFFUSERS_CLASS).keySet() + ")");
        }
        return factory.create(config, eta);
    }
}
