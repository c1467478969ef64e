package dev.diffusion;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class DiffusionServiceApplication {

    public static void main(String[] args) {
        SpringApplication.run(DiffusionServiceApplication.class, args);
    }
}
