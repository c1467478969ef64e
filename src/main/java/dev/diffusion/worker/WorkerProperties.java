package dev.diffusion.worker;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.workers.*}.
 *
 * @param devices      {@code auto} (every GPU, else the CPU), {@code cpu}, or GPU ids such as {@code 0,1}: one worker each
 * @param previewEvery a progress event carries a preview PNG every this many steps (0: never)
 * @param shutdownGrace how long running jobs may take to finish at shutdown; keep it below
 *                      {@code spring.lifecycle.timeout-per-shutdown-phase}
 * @param memoryTrimInterval how often freed native memory goes back to the operating system (see
 *                      {@link NativeMemoryTrimmer}); 0: never
 * @param fusedAttention attention through libtorch's fused {@code scaled_dot_product_attention} instead of the
 *                      exported baddbmm/softmax/bmm (about twice as fast at large latents; see
 *                      {@code dev.diffusion.model.FusedAttention}); false: the networks run exactly as exported
 */
@Validated
@ConfigurationProperties("diffusion.workers")
public record WorkerProperties(
        @NotBlank @DefaultValue("auto") String devices,
        @Min(0) @DefaultValue("5") int previewEvery,
        @NotNull @DefaultValue("50s") Duration shutdownGrace,
        @NotNull @DefaultValue("10s") Duration memoryTrimInterval,
        @DefaultValue("true") boolean fusedAttention) {
}
