package dev.diffusion.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An API without keys says so: {@code diffusion.security.open} is 1, and 0 once keys are configured. */
class OpenApiWarningTest {

    @Test
    void theGaugeTellsAnOpenApiFromOneWithKeys() {
        assertThat(openGauge(List.of())).isEqualTo(1.0);
        assertThat(openGauge(List.of("alice:0123456789abcdef0123"))).isEqualTo(0.0);
    }

    private static double openGauge(List<String> keys) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new SecurityConfiguration().openApiGauge(ApiKeys.parse(keys)).bindTo(registry);
        return registry.get("diffusion.security.open").gauge().value();
    }
}
