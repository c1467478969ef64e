package dev.diffusion.api.a1111;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diffusion.catalog.SchedulerCatalog;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * AUTOMATIC1111's sampler and schedule names as its clients send them (A1111 1.9+ sends them apart; older clients and
 * saved settings send combined names) over this service's scheduler names.
 */
class SamplerNamesTest {

    private final SamplerNames names = new SamplerNames(SchedulerCatalog.names());

    @Test
    void samplerAndScheduleTypeAsA1111SendsThem() {
        assertThat(names.resolve("DPM++ 2M", "Karras")).hasValue("dpmpp_2m_karras");
        assertThat(names.resolve("DPM++ 2M", "karras")).hasValue("dpmpp_2m_karras");
        assertThat(names.resolve("Euler", "Uniform")).hasValue("euler");
        assertThat(names.resolve("Euler", "Karras")).hasValue("euler_karras");
        assertThat(names.resolve("DPM++ 2M SDE", "Karras")).hasValue("dpmpp_2m_sde_karras");
        assertThat(names.resolve("LMS", "Karras")).hasValue("lms_karras");
        assertThat(names.resolve("UniPC", "Automatic")).hasValue("unipc");
        assertThat(names.resolve("PLMS", null)).hasValue("pndm");
        assertThat(names.resolve("Euler a", "")).hasValue("euler_ancestral");
    }

    @Test
    void automaticIsTheSamplersOwnDefaultAsInA1111() {
        // A1111 1.9+: DPM++ 2M carries the option scheduler=karras, Euler none
        assertThat(names.resolve("DPM++ 2M", "Automatic")).hasValue("dpmpp_2m_karras");
        assertThat(names.resolve("DPM++ 2M", null)).hasValue("dpmpp_2m_karras");
        assertThat(names.resolve("Euler", "Automatic")).hasValue("euler");
    }

    @Test
    void combinedNamesAndAliasesOfOlderClients() {
        assertThat(names.resolve("DPM++ 2M Karras", null)).hasValue("dpmpp_2m_karras");
        // the combined name wins over the schedule field, as in A1111's get_sampler_and_scheduler
        assertThat(names.resolve("DPM++ 2M Karras", "Automatic")).hasValue("dpmpp_2m_karras");
        assertThat(names.resolve("LMS Karras", "Uniform")).hasValue("lms_karras");
        assertThat(names.resolve("k_euler_a", null)).hasValue("euler_ancestral");
        assertThat(names.resolve("k_dpmpp_2m", "Uniform")).hasValue("dpmpp_2m");
    }

    @Test
    void scheduleTypesThatSpaceTheModelsOwnTimestepsRunAsUniform() {
        // SillyTavern's defaults: sampler DDIM, scheduler "normal"
        assertThat(names.resolve("DDIM", "normal")).hasValue("ddim");
        assertThat(names.resolve("Euler", "SGM Uniform")).hasValue("euler");
        assertThat(names.resolve("DPM++ 2M", "Simple")).hasValue("dpmpp_2m");
    }

    @Test
    void thisServicesOwnNamesWorkToo() {
        assertThat(names.resolve("dpmpp_2m", null)).hasValue("dpmpp_2m");
        assertThat(names.resolve("dpmpp_2m_karras", "Automatic")).hasValue("dpmpp_2m_karras");
        assertThat(names.resolve("euler", "Karras")).hasValue("euler_karras");
    }

    @Test
    void aScheduleThisServiceDoesNotHaveIsRefusedSayingWhichItHas() {
        assertThatThrownBy(() -> names.resolve("Euler a", "Karras")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Karras'").hasMessageContaining("Euler a")
                .hasMessageContaining("Automatic or Uniform");
        assertThatThrownBy(() -> names.resolve("DPM++ 2M", "Exponential"))
                .hasMessageContaining("Automatic, Uniform or Karras");
        assertThatThrownBy(() -> names.resolve("DPM++ 2M SDE Exponential", null))
                .hasMessageContaining("'Exponential'");
        assertThatThrownBy(() -> names.resolve("Euler", "Fancy")).hasMessageContaining("'Fancy'");
    }

    @Test
    void anUnknownSamplerIsEmpty() {
        assertThat(names.resolve("DPM++ SDE", "Karras")).isEqualTo(Optional.empty());
        assertThat(names.resolve("Restart", null)).isEmpty();
    }

    @Test
    void theSamplerListNamesEachAlgorithmOnceAsA1111Does() {
        assertThat(names.samplers()).extracting(SamplerNames.Sampler::name).doesNotHaveDuplicates()
                .contains("DPM++ 2M", "Euler a", "Euler", "DDIM", "PLMS", "UniPC")
                .noneMatch(name -> name.endsWith("Karras"));
        SamplerNames.Sampler dpmpp = names.samplers().stream().filter(s -> s.name().equals("DPM++ 2M")).findFirst()
                .orElseThrow();
        assertThat(dpmpp.aliases()).containsExactly("k_dpmpp_2m", "dpmpp_2m");
        assertThat(dpmpp.options()).isEqualTo(Map.of("scheduler", "karras"));
    }

    @Test
    void labelsForInfo() {
        assertThat(SamplerNames.samplerLabel("dpmpp_2m_karras")).isEqualTo("DPM++ 2M");
        assertThat(SamplerNames.scheduleLabel("dpmpp_2m_karras")).isEqualTo("Karras");
        assertThat(SamplerNames.scheduleLabel("euler_ancestral")).isEqualTo("Uniform");
    }
}
