package dev.diffusion.catalog;

import dev.diffusion.scheduler.Schedulers;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the service says about its scheduler names beyond the algorithms themselves: which a request may give, how
 * AUTOMATIC1111 labels each (for the infotext that A1111-reading tools parse), and which take {@code eta}.
 */
public final class SchedulerCatalog {

    private static final String KARRAS_SUFFIX = "_karras";
    private static final Map<String, String> A1111_LABELS = Map.ofEntries(Map.entry("ddpm", "DDPM"),
            Map.entry("ddim", "DDIM"), Map.entry("pndm", "PLMS"), Map.entry("lms", "LMS"), Map.entry("euler", "Euler"),
            Map.entry("euler_ancestral", "Euler a"), Map.entry("heun", "Heun"), Map.entry("dpmpp_2m", "DPM++ 2M"),
            Map.entry("dpmpp_2m_sde", "DPM++ 2M SDE"), Map.entry("unipc", "UniPC"), Map.entry("lcm", "LCM"),
            Map.entry("tcd", "TCD"));
    /** The schedulers that take the request's {@code eta}: DDIM's eta, TCD's gamma (diffusers' TCD pipelines say eta). */
    private static final Set<String> TAKING_ETA = Set.of("ddim", "tcd");

    private SchedulerCatalog() {
    }

    /** Every name a request may give, sorted. */
    public static List<String> names() {
        return Schedulers.names();
    }

    public static boolean takesEta(String name) {
        return TAKING_ETA.contains(name);
    }

    /** The schedulers that take {@code eta}, for messages. */
    public static List<String> takingEta() {
        return TAKING_ETA.stream().sorted().toList();
    }

    /** UNet calls one step takes: two for Heun's second-order steps, one for the others. */
    public static int unetCallsPerStep(String name) {
        return name.startsWith("heun") ? 2 : 1;
    }

    /** AUTOMATIC1111's sampler label, such as "DPM++ 2M Karras" for {@code dpmpp_2m_karras}. */
    public static String a1111Label(String name) {
        boolean karras = name.endsWith(KARRAS_SUFFIX);
        String base = karras ? name.substring(0, name.length() - KARRAS_SUFFIX.length()) : name;
        return A1111_LABELS.getOrDefault(base, base) + (karras ? " Karras" : "");
    }
}
