package dev.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchedulerConfigTest {

    /**
     * SD 1.5's scheduler as diffusers holds it after loading the checkpoint, and as export_diffusers.py writes it:
     * PNDM filled in its own timestep_spacing and prediction_type and listed them in _use_default_values.
     */
    private static Map<String, Object> sd15AsLoaded() {
        Map<String, Object> values = new HashMap<>(SchedulersTest.sd15Config().values());
        values.put("timestep_spacing", "leading");
        values.put("prediction_type", "epsilon");
        values.put("_use_default_values", List.of("prediction_type", "timestep_spacing"));
        return values;
    }

    private static double firstTimestep(String scheduler, Map<String, Object> config) {
        Scheduler s = Schedulers.create(scheduler, new SchedulerConfig(config), 0);
        s.setTimesteps(20);
        return s.timesteps()[0];
    }

    @Test
    void keysFilledInWithTheLoadingClassDefaultsTakeEachClassOwnDefault() {
        Map<String, Object> explicitLeading = new HashMap<>(sd15AsLoaded());
        explicitLeading.remove("_use_default_values");

        // Euler's own default is linspace (starts at 999); PNDM's leading one (19 * 50 + steps_offset) is not Euler's
        assertThat(firstTimestep("euler", sd15AsLoaded())).isEqualTo(999.0);
        assertThat(firstTimestep("euler", explicitLeading)).isEqualTo(951.0);
        // DDIM's own default is leading as well
        assertThat(firstTimestep("ddim", sd15AsLoaded())).isEqualTo(951.0);
        assertThat(new SchedulerConfig(sd15AsLoaded()).has("timestep_spacing")).isFalse();
    }

    @Test
    void aSchedulerNameStillSetsWhatItMeansOverTheDefaults() {
        Map<String, Object> config = new HashMap<>(sd15AsLoaded());
        config.put("use_karras_sigmas", false);
        config.put("_use_default_values", List.of("use_karras_sigmas"));

        assertThat(new SchedulerConfig(config).with("use_karras_sigmas", true).bool("use_karras_sigmas", false))
                .isTrue();
    }

    @Test
    void unknownKeysAreTheOnesNoSchedulerReads() {
        Map<String, Object> config = new HashMap<>(sd15AsLoaded());
        config.put("_diffusers_version", "0.6.0");
        config.put("shift", 3.0);
        config.put("base_image_seq_len", 256);

        assertThat(new SchedulerConfig(config).unknownKeys()).containsExactly("base_image_seq_len", "shift");
        assertThat(SchedulersTest.sd15Config().unknownKeys()).isEmpty();
    }

    @Test
    void useDefaultValuesMustListKeys() {
        assertThatThrownBy(() -> new SchedulerConfig(Map.of("_use_default_values", "timestep_spacing")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("_use_default_values");
    }
}
