package dev.diffusion;

import dev.diffusion.model.DjlSettings;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class DiffusionServiceApplication {

    public static void main(String[] args) {
        DjlSettings.applyDefaults();
        SpringApplication.run(DiffusionServiceApplication.class, args);
    }
}
