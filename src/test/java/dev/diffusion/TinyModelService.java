package dev.diffusion;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The whole service on a random port with the random-weight test model, as {@link ServiceEndToEndTest} runs it: the
 * same properties, so every test class so annotated shares one application context (and one loaded model).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    TinyModelApplication.TINY_MODEL, TinyModelApplication.NO_EXTRA_BUNDLED,
    TinyModelApplication.NO_EXTRA_MODELS, TinyModelApplication.CPU,
    "diffusion.workers.preview-every=2", "diffusion.limits.max-body-bytes-in-flight=1MB"})
public @interface TinyModelService {
}
