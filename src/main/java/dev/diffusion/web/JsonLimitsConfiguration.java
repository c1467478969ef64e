package dev.diffusion.web;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON mapper that reads request bodies, with {@code diffusion.limits.max-json-depth} as its nesting limit, so a
 * body of deeply nested arrays is refused (400) while it is parsed rather than walked. Jackson 3 takes such limits
 * only from the factory a builder starts with, which a {@link JsonMapperBuilderCustomizer} cannot replace, so this
 * replaces Spring Boot's builder and applies the customizers as Spring Boot's own does.
 */
@Configuration(proxyBeanMethods = false)
public class JsonLimitsConfiguration {

    @Bean
    @Scope("prototype")
    JsonMapper.Builder jsonMapperBuilder(ObjectProvider<JsonMapperBuilderCustomizer> customizers,
            LimitsProperties limits) {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(limits.maxJsonDepth()).build())
                .build();
        JsonMapper.Builder builder = JsonMapper.builder(factory);
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder;
    }
}
