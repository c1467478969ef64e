package dev.diffusion.web;

import io.swagger.v3.oas.models.media.Schema;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Names the API docs' schema properties in snake_case, as every request and answer of this service is written:
 * springdoc reads the records through Jackson 2 and does not see their Jackson 3 {@code @JsonNaming}, so it would
 * show {@code negativePrompt} for a field sent as {@code negative_prompt}.
 */
@Configuration(proxyBeanMethods = false)
public class ApiDocsNaming {

    /** A lower-case letter or digit followed by an upper-case one: where Jackson's snake case puts a '_'. */
    private static final Pattern WORD_START = Pattern.compile("([a-z0-9])([A-Z])");

    @Bean
    OpenApiCustomizer snakeCaseProperties() {
        return openApi -> {
            if (openApi.getComponents() != null && openApi.getComponents().getSchemas() != null) {
                openApi.getComponents().getSchemas().values().forEach(ApiDocsNaming::snakeCase);
            }
        };
    }

    static String snakeCase(String name) {
        return WORD_START.matcher(name).replaceAll("$1_$2").toLowerCase(Locale.ROOT);
    }

    @SuppressWarnings("rawtypes")
    private static void snakeCase(Schema<?> schema) {
        if (schema.getProperties() != null) {
            Map<String, Schema> renamed = new LinkedHashMap<>();
            schema.getProperties().forEach((name, property) -> renamed.put(snakeCase(name), property));
            schema.setProperties(renamed);
        }
        if (schema.getRequired() != null) {
            schema.setRequired(schema.getRequired().stream().map(ApiDocsNaming::snakeCase).toList());
        }
    }
}
